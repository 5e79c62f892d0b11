#pragma once
// Streaming corpus encoding: documents from a DocumentReader go through an Encoder into
// an EmbeddingsWriter in bounded memory. Documents are read ahead one bucket at a time,
// sorted by length inside the bucket so that each forward pass pads little, and the
// bucket's rows are appended in corpus order (the embeddings file lists documents in the
// order the reader returned them).
#include <cstddef>
#include <cstdint>
#include <string>

#include "denser/data/readers.h"
#include "denser/data/types.h"
#include "denser/encode/encoder.h"
#include "denser/index/embeddings.h"

namespace denser {

struct CorpusEncodeOptions {
  /// Documents per encode_documents() call.
  size_t batch_size = 32;
  /// Batches read ahead and sorted by length together; memory is
  /// O(batch_size * bucket_batches * (document size + dim)).
  size_t bucket_batches = 64;
  /// Encode "title text" (title, one space, text) instead of the text alone; documents
  /// with an empty title are encoded as their text either way.
  bool with_titles = true;
};

struct CorpusEncodeStats {
  uint64_t documents = 0;
  double seconds = 0.0;
  double docs_per_second = 0.0;
};

/// The text encode_corpus() gives the encoder for doc.
std::string document_text(const Document& doc, bool with_titles);

/// Encodes every remaining document of `reader` and appends its row to `writer` (whose
/// dim must equal encoder.dim(); the caller calls writer.finish()). Reports progress as
/// make_progress("encoding", reader.total_bytes(), "B"). At most
/// batch_size * bucket_batches documents are held at a time. Throws denser::Error for bad
/// options or a dim mismatch; errors of the reader, encoder and writer propagate.
CorpusEncodeStats encode_corpus(Encoder& encoder, DocumentReader& reader, EmbeddingsWriter& writer,
                                const CorpusEncodeOptions& options = {});

}  // namespace denser
