// Lucene/Anserini BM25 peer for the denser benchmark.
//
// Two modes, each run in its own JVM by bench/peers/lucene.sh:
//
//   build  --input DIR --index DIR --threads N --json OUT.json
//       Runs Anserini's IndexCollection (BeirFlatCollection, DefaultLuceneDocumentGenerator,
//       -optimize) inside this JVM and times it with System.nanoTime (JVM start-up excluded).
//       Writes {"seconds","index_bytes","segments","docs"} to OUT.json.
//
//   search --index DIR --queries queries.jsonl --qrels qrels/test.tsv --collection NAME
//          --run RUN.trec --json OUT.json [--build1 B1.json --build2 B2.json]
//          [--repeat R] [--warmup W] [--warmup-min-seconds S] [--ks 10,1000] [--threads 1,2]
//          [--ids docvalues|stored] [--pyserini VERSION]
//       Bag-of-words BM25 (k1=0.9, b=0.4) over field "contents" with Anserini's default English
//       analyzer; for every (k, threads) pair: warm-up passes, then R timed passes over all test
//       queries; median QPS, and per-query p50/p99 latency for one thread. Writes the k=1000 run
//       (one thread) in TREC format and a JSON summary.
//
// Only compiled against the Anserini fat jar shipped in the pyserini wheel (see lucene.sh).

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anserini.analysis.DefaultEnglishAnalyzer;
import io.anserini.index.IndexCollection;
import io.anserini.search.query.BagOfWordsQueryGenerator;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.Version;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

public final class Bm25Bench {
  static final String FIELD = "contents"; // io.anserini.index.Constants.CONTENTS
  static final String ID_FIELD = "id";    // io.anserini.index.Constants.ID
  static final float K1 = 0.9f;
  static final float B = 0.4f;
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static void main(String[] argv) throws Exception {
    if (argv.length < 1) die("usage: Bm25Bench build|search [options]  (see header of Bm25Bench.java)");
    Map<String, String> opt = parseOptions(Arrays.copyOfRange(argv, 1, argv.length));
    switch (argv[0]) {
      case "build": build(opt); break;
      case "search": search(opt); break;
      default: die("unknown mode '" + argv[0] + "' (expected build or search)");
    }
    // Anserini / log4j may leave non-daemon threads behind; we are done either way.
    System.exit(0);
  }

  // ------------------------------------------------------------------------------------------
  // build

  static void build(Map<String, String> opt) throws Exception {
    String input = need(opt, "input");
    String index = need(opt, "index");
    int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
    String jsonOut = need(opt, "json");
    if (Files.exists(Paths.get(index))) die("index directory already exists: " + index);

    String[] args = {
        "-collection", "BeirFlatCollection",
        "-generator", "DefaultLuceneDocumentGenerator",
        "-input", input,
        "-index", index,
        "-threads", Integer.toString(threads),
        "-optimize"   // forceMerge(1): one segment, like a finished denser index
        // no -storePositions / -storeDocvectors / -storeRaw / -storeContents
    };
    long t0 = System.nanoTime();
    IndexCollection.main(args);
    double seconds = (System.nanoTime() - t0) / 1e9;

    long bytes = dirBytes(Paths.get(index));
    int segments;
    int docs;
    try (Directory dir = FSDirectory.open(Paths.get(index));
         DirectoryReader reader = DirectoryReader.open(dir)) {
      segments = reader.leaves().size();
      docs = reader.numDocs();
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("threads", threads);
    out.put("seconds", round(seconds, 3));
    out.put("index_bytes", bytes);
    out.put("segments", segments);
    out.put("docs", docs);
    JSON.writeValue(Paths.get(jsonOut).toFile(), out);
    System.err.printf(Locale.ROOT, "[lucene build] threads=%d seconds=%.3f docs=%d segments=%d bytes=%d%n",
        threads, seconds, docs, segments, bytes);
  }

  static long dirBytes(Path dir) throws IOException {
    long total = 0;
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) total += Files.size(p);
      }
    }
    return total;
  }

  // ------------------------------------------------------------------------------------------
  // search

  /** One engine "call": analyze + search + resolve external ids. */
  static final class Searcher {
    final IndexSearcher searcher;
    final Analyzer analyzer;
    final BagOfWordsQueryGenerator generator = new BagOfWordsQueryGenerator();
    final List<LeafReaderContext> leaves;
    final boolean storedIds;

    Searcher(IndexSearcher searcher, Analyzer analyzer, boolean storedIds) {
      this.searcher = searcher;
      this.analyzer = analyzer;
      this.leaves = searcher.getIndexReader().leaves();
      this.storedIds = storedIds;
    }

    Result search(String text, int k) throws IOException {
      Query q = generator.buildQuery(FIELD, analyzer, text);
      TopDocs top = searcher.search(q, k);
      ScoreDoc[] hits = top.scoreDocs;
      String[] ids = storedIds ? idsFromStoredFields(hits) : idsFromDocValues(hits);
      float[] scores = new float[hits.length];
      for (int i = 0; i < hits.length; i++) scores[i] = hits[i].score;
      return new Result(ids, scores);
    }

    /** Anserini stores the external id as BinaryDocValues "id"; read it with one forward pass. */
    String[] idsFromDocValues(ScoreDoc[] hits) throws IOException {
      String[] ids = new String[hits.length];
      long[] order = new long[hits.length];
      for (int i = 0; i < hits.length; i++) order[i] = ((long) hits[i].doc << 32) | i;
      Arrays.sort(order);
      int leafIdx = -1;
      LeafReaderContext leaf = null;
      BinaryDocValues dv = null;
      for (long packed : order) {
        int doc = (int) (packed >>> 32);
        int slot = (int) packed;
        int li = ReaderUtil.subIndex(doc, leaves);
        if (li != leafIdx) {
          leafIdx = li;
          leaf = leaves.get(li);
          dv = leaf.reader().getBinaryDocValues(ID_FIELD);
          if (dv == null) throw new IllegalStateException("no BinaryDocValues \"id\" in segment " + li);
        }
        if (!dv.advanceExact(doc - leaf.docBase)) throw new IllegalStateException("doc without id: " + doc);
        BytesRef b = dv.binaryValue();
        ids[slot] = new String(b.bytes, b.offset, b.length, StandardCharsets.UTF_8);
      }
      return ids;
    }

    /** Alternative: the stored "id" field (what Pyserini's doc() lookups read). */
    String[] idsFromStoredFields(ScoreDoc[] hits) throws IOException {
      StoredFields sf = searcher.storedFields();
      Set<String> only = Set.of(ID_FIELD);
      String[] ids = new String[hits.length];
      for (int i = 0; i < hits.length; i++) ids[i] = sf.document(hits[i].doc, only).get(ID_FIELD);
      return ids;
    }
  }

  static final class Result {
    final String[] ids;
    final float[] scores;
    Result(String[] ids, float[] scores) { this.ids = ids; this.scores = scores; }
    long checksum() { return ids.length == 0 ? 0 : ids[0].hashCode() * 31L + ids.length; }
  }

  static void search(Map<String, String> opt) throws Exception {
    Path indexPath = Paths.get(need(opt, "index"));
    Path queriesPath = Paths.get(need(opt, "queries"));
    Path qrelsPath = Paths.get(need(opt, "qrels"));
    String collection = need(opt, "collection");
    Path runPath = Paths.get(need(opt, "run"));
    Path jsonOut = Paths.get(need(opt, "json"));
    int repeat = Integer.parseInt(opt.getOrDefault("repeat", "5"));
    int warmup = Integer.parseInt(opt.getOrDefault("warmup", "1"));
    double warmupMinSeconds = Double.parseDouble(opt.getOrDefault("warmup-min-seconds", "2"));
    int[] ks = parseInts(opt.getOrDefault("ks", "10,1000"));
    int[] threadCounts = parseInts(opt.getOrDefault("threads", "1,2"));
    String idMode = opt.getOrDefault("ids", "docvalues");
    if (!idMode.equals("docvalues") && !idMode.equals("stored")) die("--ids must be docvalues or stored");
    if (repeat < 1) die("--repeat must be >= 1");
    int runK = 1000;

    List<String[]> queries = loadQueries(queriesPath, loadQrelQids(qrelsPath));
    if (queries.isEmpty()) die("no queries of " + queriesPath + " appear in " + qrelsPath);
    int nq = queries.size();

    Directory dir = FSDirectory.open(indexPath);
    IndexReader reader = DirectoryReader.open(dir);
    IndexSearcher searcher = new IndexSearcher(reader); // no executor: one thread per query
    searcher.setSimilarity(new BM25Similarity(K1, B));
    searcher.setQueryCache(null); // nothing may be cached across timed passes
    Analyzer analyzer = DefaultEnglishAnalyzer.newDefaultInstance(); // Porter + Lucene stopwords
    boolean storedIds = idMode.equals("stored");

    int maxThreads = Arrays.stream(threadCounts).max().getAsInt();
    Searcher[] perThread = new Searcher[maxThreads];
    for (int t = 0; t < maxThreads; t++) perThread[t] = new Searcher(searcher, analyzer, storedIds);
    ExecutorService pool = Executors.newFixedThreadPool(maxThreads, r -> {
      Thread th = new Thread(r, "bench-worker");
      th.setDaemon(true);
      return th;
    });

    ArrayNode searchResults = JSON.createArrayNode();
    for (int k : ks) {
      for (int threads : threadCounts) {
        long wStart = System.nanoTime();
        int wPasses = 0;
        while (wPasses < warmup || (System.nanoTime() - wStart) / 1e9 < warmupMinSeconds) {
          runPass(pool, perThread, queries, k, threads, null);
          wPasses++;
        }
        double[] qps = new double[repeat];
        long[] lat = threads == 1 ? new long[repeat * nq] : null;
        for (int r = 0; r < repeat; r++) {
          long[] passLat = threads == 1 ? new long[nq] : null;
          double secs = runPass(pool, perThread, queries, k, threads, passLat);
          qps[r] = nq / secs;
          if (passLat != null) System.arraycopy(passLat, 0, lat, r * nq, nq);
        }
        ObjectNode row = JSON.createObjectNode();
        row.put("k", k);
        row.put("threads", threads);
        row.put("qps", round(median(qps), 1));
        if (lat != null) {
          Arrays.sort(lat);
          row.put("p50_ms", round(percentile(lat, 0.50) / 1e6, 4));
          row.put("p99_ms", round(percentile(lat, 0.99) / 1e6, 4));
        }
        searchResults.add(row);
        System.err.printf(Locale.ROOT, "[lucene search] k=%d threads=%d warmup_passes=%d qps(median of %d)=%.1f %s%n",
            k, threads, wPasses, repeat, median(qps), lat != null
                ? String.format(Locale.ROOT, "p50=%.3fms p99=%.3fms", percentile(lat, 0.5) / 1e6, percentile(lat, 0.99) / 1e6)
                : "");
      }
    }
    pool.shutdownNow();

    // Run file (k=1000, one thread), outside the timed passes.
    Files.createDirectories(runPath.toAbsolutePath().getParent());
    try (BufferedWriter w = Files.newBufferedWriter(runPath, StandardCharsets.UTF_8)) {
      for (String[] q : queries) {
        Result res = perThread[0].search(q[1], runK);
        for (int i = 0; i < res.ids.length; i++) {
          // Same layout and precision as Pyserini/Anserini TREC runs.
          w.write(String.format(Locale.ROOT, "%s Q0 %s %d %.6f lucene%n", q[0], res.ids[i], i + 1, res.scores[i]));
        }
      }
    }

    ObjectNode out = JSON.createObjectNode();
    out.put("engine", "lucene");
    String pyserini = opt.getOrDefault("pyserini", "unknown");
    out.put("version", String.format(Locale.ROOT, "Lucene %s (Anserini %s, pyserini %s)",
        Version.LATEST, anseriniVersion(), pyserini));
    out.put("collection", collection);
    out.put("docs", reader.numDocs());
    out.put("queries", nq);
    ObjectNode build = out.putObject("build_seconds");
    long indexBytes = dirBytes(indexPath);
    List<String> buildNotes = new ArrayList<>();
    for (String key : new String[] {"build1", "build2"}) {
      if (!opt.containsKey(key)) continue;
      JsonNode b = JSON.readTree(Paths.get(opt.get(key)).toFile());
      build.put(Integer.toString(b.get("threads").asInt()), b.get("seconds").asDouble());
      buildNotes.add(String.format(Locale.ROOT, "threads=%d: %d segment(s), %d bytes",
          b.get("threads").asInt(), b.get("segments").asInt(), b.get("index_bytes").asLong()));
    }
    out.put("index_bytes", indexBytes);
    out.set("search", searchResults);
    out.put("run", runPath.toAbsolutePath().toString());
    out.put("notes", notes(reader, idMode, repeat, warmup, warmupMinSeconds, buildNotes));
    JSON.writeValue(jsonOut.toFile(), out);
    reader.close();
    dir.close();
  }

  static String notes(IndexReader reader, String idMode, int repeat, int warmup, double warmupMin,
                      List<String> buildNotes) {
    StringBuilder sb = new StringBuilder();
    sb.append("Index: Anserini IndexCollection -collection BeirFlatCollection -generator DefaultLuceneDocumentGenerator")
        .append(" -optimize (forceMerge to 1 segment, included in build time); contents = title + '\\n' + text in one")
        .append(" field 'contents' (DOCS_AND_FREQS, norms = Lucene's lossy 1-byte length); no positions, docvectors,")
        .append(" raw or contents stored. Unlike denser, the index also holds the external id three times: indexed")
        .append(" StringField 'id' (terms), stored field 'id', BinaryDocValues 'id'. Docs with empty title+text are")
        .append(" skipped by Anserini. Corpus split into parts so that Anserini (one worker per input file) can use")
        .append(" 2 indexing threads; build seconds timed inside the JVM (start-up excluded). ");
    if (!buildNotes.isEmpty()) sb.append("Builds: ").append(String.join("; ", buildNotes)).append(". ");
    sb.append("Search index segments: ").append(reader.leaves().size()).append(". ");
    sb.append("Search: Anserini DefaultEnglishAnalyzer (StandardTokenizer, EnglishPossessiveFilter, LowerCaseFilter,")
        .append(" Lucene English stopwords, PorterStemFilter) = Pyserini default; query = Anserini")
        .append(" BagOfWordsQueryGenerator (BooleanQuery of SHOULD TermQuery on 'contents', repeated terms as")
        .append(" BoostQuery(count)); BM25Similarity(k1=0.9, b=0.4) (Lucene 9 form without the (k1+1) numerator")
        .append(" factor: same ranking); IndexSearcher.search(query, k) (TopScoreDocCollector, total-hits threshold")
        .append(" 1000, block-max WAND); query cache off; no intra-query concurrency. Ties broken by Lucene's internal")
        .append(" docid (Pyserini sorts ties by external docid). External ids read from ")
        .append(idMode.equals("stored") ? "the stored field 'id'" : "BinaryDocValues 'id'")
        .append(" inside the timed region. Timing: per (k, threads), ").append(warmup)
        .append(" warm-up pass(es) (repeated until >= ").append(warmupMin).append(" s for JIT), then ")
        .append(repeat).append(" timed passes, median QPS; threads=2 = 2 Java threads sharing one IndexSearcher,")
        .append(" queries interleaved, wall time of the pass; p50/p99 over all per-query latencies of the")
        .append(" 1-thread passes. Run file: k=1000, 1 thread, scores %.6f. JVM: ")
        .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
        .append(", max heap ").append(Runtime.getRuntime().maxMemory() >> 20).append(" MiB, ")
        .append(Runtime.getRuntime().availableProcessors()).append(" CPUs visible.");
    return sb.toString();
  }

  /** Runs all queries once; returns wall seconds. With latency != null (1 thread) records ns per query. */
  static double runPass(ExecutorService pool, Searcher[] perThread, List<String[]> queries, int k,
                        int threads, long[] latency) throws Exception {
    int nq = queries.size();
    if (threads == 1) {
      Searcher s = perThread[0];
      long sink = 0;
      long start = System.nanoTime();
      for (int i = 0; i < nq; i++) {
        long t0 = System.nanoTime();
        sink += s.search(queries.get(i)[1], k).checksum();
        if (latency != null) latency[i] = System.nanoTime() - t0;
      }
      double secs = (System.nanoTime() - start) / 1e9;
      if (sink == 42) System.err.print("");
      return secs;
    }
    List<Future<Long>> futures = new ArrayList<>(threads);
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      final int tid = t;
      futures.add(pool.submit(() -> {
        Searcher s = perThread[tid];
        long sink = 0;
        for (int i = tid; i < nq; i += threads) sink += s.search(queries.get(i)[1], k).checksum();
        return sink;
      }));
    }
    long sink = 0;
    for (Future<Long> f : futures) sink += f.get();
    double secs = (System.nanoTime() - start) / 1e9;
    if (sink == 42) System.err.print("");
    return secs;
  }

  // ------------------------------------------------------------------------------------------
  // input files

  static Set<String> loadQrelQids(Path qrels) throws IOException {
    Set<String> qids = new LinkedHashSet<>();
    try (BufferedReader r = Files.newBufferedReader(qrels, StandardCharsets.UTF_8)) {
      String line;
      boolean first = true;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        String[] cols = line.split("\t");
        if (first) {
          first = false;
          if (cols[0].equals("query-id")) continue; // header
        }
        qids.add(cols[0]);
      }
    }
    return qids;
  }

  /** Queries of queries.jsonl whose _id is in qids, in file order: [id, text]. */
  static List<String[]> loadQueries(Path path, Set<String> qids) throws IOException {
    List<String[]> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode n = JSON.readTree(line);
        String id = n.get("_id").asText();
        if (qids.contains(id)) out.add(new String[] {id, n.get("text").asText()});
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  static String anseriniVersion() {
    try (InputStream in = Bm25Bench.class.getClassLoader()
        .getResourceAsStream("META-INF/maven/io.anserini/anserini/pom.properties")) {
      if (in == null) return "unknown";
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
  }

  /** Nearest-rank percentile of a sorted array. */
  static double percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static double round(double x, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(x * f) / f;
  }

  static int[] parseInts(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .mapToInt(Integer::parseInt).toArray();
  }

  static Map<String, String> parseOptions(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) die("unexpected argument: " + args[i]);
      if (i + 1 >= args.length) die("missing value for " + args[i]);
      m.put(args[i].substring(2), args[++i]);
    }
    return m;
  }

  static String need(Map<String, String> opt, String key) {
    String v = opt.get(key);
    if (v == null) die("missing required option --" + key);
    return v;
  }

  static void die(String msg) {
    System.err.println("Bm25Bench: " + msg);
    System.exit(2);
  }
}
