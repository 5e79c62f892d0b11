// validate_faiss_index on indexes built by FAISS itself, then with one field made to lie,
// as a crafted file (its checksum recomputed) would make it: each lie is an error naming
// the field, before search could follow it out of bounds.
#include "index/faiss_validate.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexPQ.h>
#include <faiss/invlists/InvertedLists.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "denser/common/error.h"

namespace {

using denser::index_internal::validate_faiss_index;

std::vector<float> random_vectors(size_t n, int d) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> v(n * static_cast<size_t>(d));
  for (float& x : v) x = g(rng);
  return v;
}

void expect_rejected(const faiss::Index& index, const std::string& field) {
  try {
    validate_faiss_index(index, "idx");
    ADD_FAILURE() << "accepted an index whose " << field << " lies";
  } catch (const denser::Error& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("idx"), std::string::npos) << e.what();
  }
}

TEST(FaissValidate, HnswNeighbourIdsLevelsAndEntryPoint) {
  const int d = 8;
  const std::vector<float> x = random_vectors(200, d);
  faiss::IndexHNSWFlat index(d, 4, faiss::METRIC_INNER_PRODUCT);
  index.add(200, x.data());
  EXPECT_NO_THROW(validate_faiss_index(index, "idx"));

  faiss::IndexHNSWFlat bad_neighbour(d, 4, faiss::METRIC_INNER_PRODUCT);
  bad_neighbour.add(200, x.data());
  bad_neighbour.hnsw.neighbors[5] = 1000000;
  expect_rejected(bad_neighbour, "neighbour slot 5");

  faiss::IndexHNSWFlat bad_level(d, 4, faiss::METRIC_INNER_PRODUCT);
  bad_level.add(200, x.data());
  bad_level.hnsw.levels[7] = 40;
  expect_rejected(bad_level, "node 7");

  // An upper-level slot naming a node that has only level 0.
  faiss::IndexHNSWFlat upper_to_ground(d, 4, faiss::METRIC_INNER_PRODUCT);
  upper_to_ground.add(200, x.data());
  {
    faiss::HNSW& h = upper_to_ground.hnsw;
    size_t upper = 0, ground = 0;
    while (h.levels[upper] < 2) ++upper;
    while (h.levels[ground] != 1) ++ground;
    h.neighbors[h.offsets[upper] + static_cast<size_t>(h.cum_nneighbor_per_level[1])] =
        static_cast<faiss::HNSW::storage_idx_t>(ground);
    expect_rejected(upper_to_ground, denser::str("lists node ", ground, " at level 1"));
  }

  faiss::IndexHNSWFlat bad_entry(d, 4, faiss::METRIC_INNER_PRODUCT);
  bad_entry.add(200, x.data());
  bad_entry.hnsw.entry_point = 5000;
  expect_rejected(bad_entry, "entry point");

  faiss::IndexHNSWFlat short_storage(d, 4, faiss::METRIC_INNER_PRODUCT);
  short_storage.add(200, x.data());
  static_cast<faiss::IndexFlat*>(short_storage.storage)->codes.resize(10);
  expect_rejected(short_storage, "code bytes");
}

TEST(FaissValidate, IvfListIdsAndSizes) {
  const int d = 8;
  const std::vector<float> x = random_vectors(500, d);
  auto build = [&](faiss::IndexFlatIP& quantizer) {
    auto index = std::make_unique<faiss::IndexIVFFlat>(&quantizer, d, 8, faiss::METRIC_INNER_PRODUCT);
    index->train(500, x.data());
    index->add(500, x.data());
    return index;
  };
  faiss::IndexFlatIP q1(d), q2(d), q3(d);
  auto good = build(q1);
  EXPECT_NO_THROW(validate_faiss_index(*good, "idx"));

  auto bad_id = build(q2);
  auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(bad_id->invlists);
  ASSERT_NE(lists, nullptr);
  size_t l = 0;
  while (lists->ids[l].empty()) ++l;
  lists->ids[l][0] = 123456789;
  expect_rejected(*bad_id, "IVF list");

  auto bad_count = build(q3);
  bad_count->ntotal = 400;  // ids 400..499 now lie beyond ntotal, and the sizes do not add up
  expect_rejected(*bad_count, "IVF list");
}

TEST(FaissValidate, FlatAndPqCodeSizes) {
  const int d = 8;
  const std::vector<float> x = random_vectors(700, d);
  faiss::IndexFlatIP flat(d);
  flat.add(300, x.data());
  EXPECT_NO_THROW(validate_faiss_index(flat, "idx"));
  flat.ntotal = 301;  // one vector more than the codes hold
  expect_rejected(flat, "code bytes");

  faiss::IndexPQ pq(d, 2, 4, faiss::METRIC_INNER_PRODUCT);
  pq.train(700, x.data());
  pq.add(700, x.data());
  EXPECT_NO_THROW(validate_faiss_index(pq, "idx"));
  pq.codes.resize(pq.codes.size() - 1);
  expect_rejected(pq, "code bytes");
}

}  // namespace
