# cmake -DINPUT=file -DOUTPUT=header -DNAME=identifier -P embed_asset.cmake
# Writes a header holding INPUT as a std::string_view constant (raw string literal pieces,
# so any text works), regenerated whenever INPUT changes.
file(READ "${INPUT}" content)
set(delim "denser_asset")
string(FIND "${content}" ")${delim}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )${delim}\"")
endif()
string(LENGTH "${content}" n)
set(out "#pragma once\n// Generated from ${INPUT} by cmake/embed_asset.cmake; do not edit.\n#include <string_view>\n\nnamespace denser::serve_internal {\ninline constexpr std::string_view ${NAME} =\n")
# Pieces of 8000 bytes keep every literal under compilers' limits.
set(pos 0)
while(pos LESS n)
  string(SUBSTRING "${content}" ${pos} 8000 piece)
  string(APPEND out "    R\"${delim}(${piece})${delim}\"\n")
  math(EXPR pos "${pos} + 8000")
endwhile()
string(APPEND out "    ;\n}  // namespace denser::serve_internal\n")
file(WRITE "${OUTPUT}.tmp" "${out}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
