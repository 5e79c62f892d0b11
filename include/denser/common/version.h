#pragma once
namespace denser {
inline constexpr const char* kVersion = "0.1.0";
}
