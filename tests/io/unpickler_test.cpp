// The restricted unpickler on its own, fed the real fixture pickle with every truncation and many
// corruptions: each must end in a value or a FormatError, never a crash or a runaway allocation.
#include "models/io/format_error.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "../../models/io/unpickler.h"
#include "../../models/io/zip_archive.h"
#include "support/test_support.h"

namespace {

using unirep::io::FormatError;
using unirep::io::PyValue;
using unirep::io::StorageRef;
using unirep::testing::fixture;

// Like the checkpoint reader's loader, against the fixture's real records.
struct FixturePickle {
  std::string pickle;
  unirep::io::StorageLoader loader;
};

FixturePickle load_fixture_pickle(const std::string& name, const std::string& folder) {
  auto zip = std::make_shared<unirep::io::ZipReader>(fixture(name));
  FixturePickle f;
  f.pickle = zip->read(*zip->find(folder + "/data.pkl"));
  // Storages are cached across runs so that thousands of corrupted variants stay fast.
  auto cache = std::make_shared<std::map<std::string, at::Tensor>>();
  f.loader = [zip, folder, cache](const StorageRef& ref) {
    const std::string id = ref.key + "/" + at::toString(ref.dtype) + "/" + std::to_string(ref.numel);
    auto hit = cache->find(id);
    if (hit != cache->end()) return hit->second;
    const auto* rec = zip->find(folder + "/data/" + ref.key);
    if (!rec) throw FormatError(zip->path(), "missing record " + ref.key);
    const uint64_t item = at::elementSize(ref.dtype);
    if (static_cast<uint64_t>(ref.numel) > rec->size / item) throw FormatError(zip->path(), "record too small");
    auto t = at::empty({ref.numel}, at::TensorOptions().dtype(ref.dtype));
    zip->read_into(*rec, t.data_ptr(), static_cast<uint64_t>(ref.numel) * item);
    cache->emplace(id, t);
    return t;
  };
  return f;
}

// Any outcome but a non-FormatError exception (or a crash, which ends the test binary) is fine.
::testing::AssertionResult value_or_format_error(const std::string& pickle, const unirep::io::StorageLoader& loader) {
  try {
    unirep::io::unpickle(pickle, "fuzz.pth", loader);
  } catch (const FormatError&) {
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-FormatError: " << e.what();
  }
  return ::testing::AssertionSuccess();
}

TEST(Unpickler, ReadsTheFixturePickle) {
  UNIREP_REQUIRE_FIXTURES();
  const auto f = load_fixture_pickle("backbone/tiny_mono.train.pth", "tiny_mono.train");
  const PyValue root = unirep::io::unpickle(f.pickle, "x", f.loader);
  ASSERT_NE(root.find("model"), nullptr);
  EXPECT_EQ(root.find("model")->dict_items().size(), 216u);
  EXPECT_TRUE(unirep::io::unsupported_warnings(root).empty());
}

TEST(Unpickler, EveryTruncationFails) {
  UNIREP_REQUIRE_FIXTURES();
  const auto f = load_fixture_pickle("backbone/tiny_mono.deploy.pth", "tiny_mono.deploy");
  for (size_t n = 0; n < f.pickle.size(); ++n) {
    try {
      unirep::io::unpickle(f.pickle.substr(0, n), "cut.pth", f.loader);
      ADD_FAILURE() << "a pickle cut at " << n << " of " << f.pickle.size() << " was accepted";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("cut.pth: data.pkl: "), std::string::npos) << e.what();
    }
  }
}

TEST(Unpickler, CorruptedBytesNeverCrash) {
  UNIREP_REQUIRE_FIXTURES();
  const auto f = load_fixture_pickle("backbone/tiny_mono.deploy.pth", "tiny_mono.deploy");
  // Every position, with values that turn bytes into other opcodes, huge lengths and sign bits.
  for (size_t i = 0; i < f.pickle.size(); ++i) {
    for (unsigned char v : {0x00, 0x7f, 0x80, 0xff}) {
      if (static_cast<unsigned char>(f.pickle[i]) == v) continue;
      std::string bad = f.pickle;
      bad[i] = static_cast<char>(v);
      EXPECT_TRUE(value_or_format_error(bad, f.loader)) << "byte " << i << " set to " << int(v);
    }
  }
}

TEST(Unpickler, WarningsNameTheKeyPath) {
  PyValue::DictItems inner;
  inner.emplace_back(PyValue::string("ns"), PyValue::unsupported("argparse.Namespace"));
  PyValue::DictItems root;
  root.emplace_back(PyValue::string("model"), PyValue::dict());
  root.emplace_back(PyValue::string("extra"), PyValue::dict(std::move(inner)));
  root.emplace_back(PyValue::string("list"), PyValue::list({PyValue::none(), PyValue::unsupported("numpy.float64")}));
  root.emplace_back(PyValue::integer(3), PyValue::unsupported("a.B"));
  const auto w = unirep::io::unsupported_warnings(PyValue::dict(std::move(root)));
  EXPECT_EQ(w, (std::vector<std::string>{"extra.ns: skipped argparse.Namespace", "list[1]: skipped numpy.float64",
                                         "3: skipped a.B"}));
}

}  // namespace
