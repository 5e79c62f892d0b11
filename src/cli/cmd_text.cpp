// `denser vocab train` and `denser tokenize`: WordPiece vocabularies for collections that
// come without one, and a look at how a text is split.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "denser/common/error.h"
#include "denser/common/progress.h"
#include "denser/data/collection.h"
#include "denser/text/analyzer.h"
#include "denser/text/wordpiece.h"
#include "denser/text/wordpiece_trainer.h"

namespace denser::cli {
namespace {

struct VocabTrainArgs {
  std::string collection;
  std::string out;
  bool with_titles = true;
  bool lenient = false;
  WordPieceTrainerOptions trainer;
};

void run_vocab_train(const VocabTrainArgs& args) {
  Collection c = Collection::open(args.collection, ReadOptions{args.lenient});
  auto reader = c.documents();
  auto progress = make_progress("reading", reader->total_bytes(), "B");
  WordPieceTrainer trainer(args.trainer);
  Document doc;
  uint64_t last = 0;
  uint64_t num_docs = 0;
  trainer.add_texts([&](std::string& text) {
    if (!reader->next(doc)) return false;
    text = args.with_titles && !doc.title.empty() ? doc.title + " " + doc.text : doc.text;
    progress->advance(reader->bytes_read() - last);
    last = reader->bytes_read();
    ++num_docs;
    return true;
  });
  progress->finish();
  TrainedVocab vocab = trainer.train();
  save_vocab_txt(args.out, vocab.tokens);
  std::printf("documents: %llu\nvocabulary: %zu tokens (%llu merges) in %.2fs\nwrote %s\n",
              static_cast<unsigned long long>(num_docs), vocab.tokens.size(),
              static_cast<unsigned long long>(vocab.stats.num_merges), vocab.stats.seconds, args.out.c_str());
}

void add_vocab(CLI::App& app) {
  CLI::App* vocab = app.add_subcommand("vocab", "WordPiece vocabularies");
  vocab->require_subcommand(1);
  auto args = std::make_shared<VocabTrainArgs>();
  CLI::App* train = vocab->add_subcommand("train", "Train a WordPiece vocab.txt on a collection's documents");
  train->add_option("--collection", args->collection, "Collection directory (BEIR, MS MARCO or SMART layout)")
      ->required();
  train->add_option("--out", args->out, "Where to write vocab.txt (atomically)")->required();
  train->add_option("--size", args->trainer.vocab_size, "Vocabulary size, special tokens included")
      ->capture_default_str();
  train->add_option("--min-frequency", args->trainer.min_frequency, "Merge only pairs seen this often")
      ->capture_default_str();
  train
      ->add_option("--limit-alphabet", args->trainer.limit_alphabet, "Keep this many most frequent characters (0: all)")
      ->capture_default_str();
  train->add_flag("!--no-titles", args->with_titles, "Train on document texts only, without titles");
  train->add_flag("--lenient", args->lenient, "Skip and count malformed documents instead of failing");
  train->callback([args] { run_vocab_train(*args); });
}

struct TokenizeArgs {
  std::string vocab;
  std::string text;
  bool bm25 = false;
};

void run_tokenize(const TokenizeArgs& args) {
  if (args.bm25) {
    for (const std::string& term : Bm25Analyzer().analyze(args.text)) std::printf("%s\n", term.c_str());
    return;
  }
  WordPiece wp = WordPiece::load(args.vocab);
  std::vector<int32_t> ids = wp.encode(args.text);
  for (int32_t id : ids) std::printf("%d\t%s\n", id, wp.id_to_token(id).c_str());
}

void add_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Show how a text is split: WordPiece ids and pieces, or BM25 terms");
  cmd->add_option("text", args->text, "The text")->required();
  auto* vocab = cmd->add_option("--vocab", args->vocab, "WordPiece vocab.txt");
  auto* bm25 = cmd->add_flag("--bm25", args->bm25, "Print the BM25 analyzer's terms instead");
  vocab->excludes(bm25);
  cmd->callback([args] {
    DENSER_CHECK(args->bm25 || !args->vocab.empty(), ErrorCode::kInvalidArgument,
                 "tokenize needs --vocab FILE (WordPiece) or --bm25");
    run_tokenize(*args);
  });
}

}  // namespace

void register_text_commands(CLI::App& app) {
  add_vocab(app);
  add_tokenize(app);
}

}  // namespace denser::cli
