// Reading the real torch.save fixtures, writing checkpoints torch.load can read, and refusing
// hostile files with a FormatError (never a crash, never running anything they name).
#include "models/io/format_error.h"
#include "models/io/torch_checkpoint.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <iomanip>
#include <sstream>

#include "../../models/io/zip_archive.h"
#include "io/io_test_helpers.h"
#include "support/test_support.h"

namespace {

using unirep::io::FormatError;
using unirep::io::PyValue;
using unirep::io::read_torch_checkpoint;
using unirep::io::write_torch_checkpoint;
using unirep::io_test::PickleBuilder;
using unirep::io_test::write_checkpoint_zip;
using unirep::testing::fixture;
using unirep::testing::TempDir;

// Reading `path` must fail with a FormatError whose text contains `expected`.
::testing::AssertionResult fails_with(const std::string& path, const std::string& expected,
                                      std::vector<std::string>* warnings = nullptr) {
  try {
    read_torch_checkpoint(path, warnings);
  } catch (const FormatError& e) {
    if (std::string(e.what()).find(expected) == std::string::npos)
      return ::testing::AssertionFailure() << "error '" << e.what() << "' does not mention '" << expected << "'";
    if (std::string(e.what()).rfind(path, 0) != 0)
      return ::testing::AssertionFailure() << "error '" << e.what() << "' does not start with the path";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-FormatError: " << e.what();
  }
  return ::testing::AssertionFailure() << "read succeeded";
}

// A crafted checkpoint: the pickle plus raw storage records.
std::string crafted(const TempDir& dir, const PickleBuilder& p,
                    const std::map<std::string, std::string>& records = {}) {
  const std::string path = dir.file("crafted.pth");
  write_checkpoint_zip(path, p.bytes(), records);
  return path;
}

bool same(const at::Tensor& a, const at::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() && at::equal(a, b);
}

// ---- the fixtures -------------------------------------------------------------------------------

TEST(TorchCheckpointFixtures, TinyMonoTrainIsADictHoldingTheModelStateDict) {
  UNIREP_REQUIRE_FIXTURES();
  std::vector<std::string> warnings;
  const PyValue root = read_torch_checkpoint(fixture("backbone/tiny_mono.train.pth"), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_TRUE(root.is_dict());
  EXPECT_FALSE(root.ordered());
  ASSERT_EQ(root.dict_items().size(), 1u);
  const PyValue* model = root.find("model");
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->is_dict());
  EXPECT_TRUE(model->ordered());
  EXPECT_EQ(model->dict_items().size(), 216u);
  const auto& first = model->dict_items().front();
  EXPECT_EQ(first.first.as_string(), "downsample_layers.0.0.weight");
  EXPECT_EQ(first.second.as_tensor().sizes(), (at::IntArrayRef{4, 1, 3, 3}));
  EXPECT_EQ(first.second.as_tensor().scalar_type(), at::kFloat);
  EXPECT_EQ(model->dict_items().back().first.as_string(), "head.bias");
  EXPECT_EQ(model->dict_items().back().second.as_tensor().sizes(), (at::IntArrayRef{5}));
  // BatchNorm's num_batches_tracked: a 0-d int64 tensor.
  int scalars = 0;
  for (const auto& [k, v] : model->dict_items()) {
    ASSERT_TRUE(v.is_tensor()) << k.as_string();
    if (v.as_tensor().dim() == 0) {
      ++scalars;
      EXPECT_EQ(v.as_tensor().scalar_type(), at::kLong) << k.as_string();
    }
  }
  EXPECT_GT(scalars, 0);
}

TEST(TorchCheckpointFixtures, DeployFilesArePlainOrderedDicts) {
  UNIREP_REQUIRE_FIXTURES();
  const std::pair<const char*, size_t> cases[] = {{"backbone/tiny_mono.deploy.pth", 79},
                                                  {"backbone/unireplknet_a.deploy.pth", 156}};
  for (const auto& [name, count] : cases) {
    const PyValue root = read_torch_checkpoint(fixture(name));
    ASSERT_TRUE(root.is_dict()) << name;
    EXPECT_TRUE(root.ordered()) << name;
    EXPECT_EQ(root.dict_items().size(), count) << name;
  }
}

TEST(TorchCheckpointFixtures, UnireplknetATrain) {
  UNIREP_REQUIRE_FIXTURES();
  const PyValue root = read_torch_checkpoint(fixture("backbone/unireplknet_a.train.pth"));
  const PyValue* model = root.find("model");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->dict_items().size(), 626u);
  const PyValue* w = model->find("downsample_layers.0.0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->as_tensor().sizes(), (at::IntArrayRef{20, 3, 3, 3}));
  const PyValue* head = model->find("head.bias");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->as_tensor().sizes(), (at::IntArrayRef{1000}));
}

TEST(TorchCheckpointFixtures, MatchesPythonTorchLoad) {
  UNIREP_REQUIRE_FIXTURES();
  UNIREP_REQUIRE_PYTHON_TORCH();
  // Python prints name, shape and the float64 sum of every tensor; ours must agree exactly.
  const std::string path = fixture("backbone/tiny_mono.train.pth");
  const auto r = unirep::io_test::run_python(R"(
import sys, torch
sd = torch.load(sys.argv[1])['model']
for k, v in sd.items():
    print(k, tuple(v.shape), repr(float(v.double().sum())))
)",
                                             {path});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const PyValue root = read_torch_checkpoint(path);
  const PyValue* model = root.find("model");
  ASSERT_NE(model, nullptr);
  std::ostringstream ours;
  ours << std::setprecision(17);
  for (const auto& [k, v] : model->dict_items()) {
    const auto t = v.as_tensor();
    ours << k.as_string() << " (";
    for (int64_t i = 0; i < t.dim(); ++i) ours << t.size(i) << (t.dim() == 1 ? "," : (i + 1 < t.dim() ? ", " : ""));
    ours << ") " << t.to(at::kDouble).sum().item<double>() << "\n";
  }
  // Compare names and shapes textually, sums numerically.
  std::istringstream py(r.output), us(ours.str());
  std::string pl, ul;
  size_t lines = 0;
  while (std::getline(py, pl)) {
    ASSERT_TRUE(static_cast<bool>(std::getline(us, ul)));
    const auto pcut = pl.rfind(' '), ucut = ul.rfind(' ');
    EXPECT_EQ(pl.substr(0, pcut), ul.substr(0, ucut));
    EXPECT_DOUBLE_EQ(std::stod(pl.substr(pcut + 1)), std::stod(ul.substr(ucut + 1))) << pl;
    ++lines;
  }
  EXPECT_EQ(lines, 216u);
}

// ---- writing and reading back -------------------------------------------------------------------

PyValue sample_tree() {
  auto base = at::arange(24, at::kFloat).reshape({4, 6});
  PyValue::DictItems inner;
  inner.emplace_back(PyValue::string("view_rows"), PyValue::tensor(base.narrow(0, 1, 2)));
  inner.emplace_back(PyValue::string("view_transposed"), PyValue::tensor(base.t()));  // shares base's storage
  inner.emplace_back(PyValue::string("view_strided"), PyValue::tensor(base.select(1, 3)));
  PyValue::DictItems root;
  root.emplace_back(PyValue::string("model"),
                    unirep::io::state_dict_value({{"w", base}, {"b", at::tensor({1.5, -2.0}, at::kDouble)}}));
  root.emplace_back(PyValue::string("views"), PyValue::dict(std::move(inner)));
  root.emplace_back(PyValue::string("epoch"), PyValue::integer(42));
  root.emplace_back(PyValue::string("ints"), PyValue::list({PyValue::integer(-1), PyValue::integer(255),
                                                            PyValue::integer(65535), PyValue::integer(1LL << 40),
                                                            PyValue::integer(INT64_MIN), PyValue::integer(INT64_MAX)}));
  root.emplace_back(PyValue::string("lr"), PyValue::floating(0.00125));
  root.emplace_back(PyValue::string("name"), PyValue::string("UniRepLKNet \xce\xb1"));
  root.emplace_back(PyValue::string("blob"), PyValue::bytes(std::string("\x00\x7f\x80\xff", 4)));
  root.emplace_back(PyValue::string("empty_blob"), PyValue::bytes(""));
  root.emplace_back(PyValue::string("flags"),
                    PyValue::tuple({PyValue::boolean(true), PyValue::boolean(false), PyValue::none()}));
  root.emplace_back(PyValue::string("empty"), PyValue::tuple({PyValue::list(), PyValue::dict(), PyValue::tuple()}));
  root.emplace_back(PyValue::integer(7), PyValue::string("int key"));
  PyValue::Items dtypes;
  dtypes.push_back(PyValue::tensor(at::tensor({1.0f, 2.5f}).to(at::kHalf)));
  dtypes.push_back(PyValue::tensor(at::tensor({1.0f, -2.5f}).to(at::kBFloat16)));
  dtypes.push_back(PyValue::tensor(at::tensor({int64_t{-5}, int64_t{1} << 40})));
  dtypes.push_back(PyValue::tensor(at::tensor({7, -8}, at::kInt)));
  dtypes.push_back(PyValue::tensor(at::tensor({7, -8}, at::kShort)));
  dtypes.push_back(PyValue::tensor(at::tensor({7, -8}, at::kChar)));
  dtypes.push_back(PyValue::tensor(at::tensor({7, 200}, at::kByte)));
  dtypes.push_back(PyValue::tensor(at::tensor({1, 0, 1}).to(at::kBool)));
  dtypes.push_back(PyValue::tensor(at::scalar_tensor(3, at::kLong)));
  dtypes.push_back(PyValue::tensor(at::empty({0, 3})));
  root.emplace_back(PyValue::string("dtypes"), PyValue::list(std::move(dtypes)));
  return PyValue::dict(std::move(root));
}

// Structural equality, tensors by dtype, shape and value.
::testing::AssertionResult equal_trees(const PyValue& a, const PyValue& b, const std::string& where = "root") {
  if (a.kind() != b.kind())
    return ::testing::AssertionFailure() << where << ": " << a.describe() << " vs " << b.describe();
  switch (a.kind()) {
    case PyValue::Kind::None:
      return ::testing::AssertionSuccess();
    case PyValue::Kind::Bool:
      if (a.as_bool() != b.as_bool()) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
    case PyValue::Kind::Int:
      if (a.as_int() != b.as_int())
        return ::testing::AssertionFailure() << where << ": " << a.as_int() << " vs " << b.as_int();
      return ::testing::AssertionSuccess();
    case PyValue::Kind::Float:
      if (a.as_float() != b.as_float()) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
    case PyValue::Kind::String:
    case PyValue::Kind::Bytes:
      if (a.as_string() != b.as_string())
        return ::testing::AssertionFailure() << where << ": '" << a.as_string() << "'";
      return ::testing::AssertionSuccess();
    case PyValue::Kind::List:
    case PyValue::Kind::Tuple: {
      if (a.items().size() != b.items().size()) return ::testing::AssertionFailure() << where << ": lengths differ";
      for (size_t i = 0; i < a.items().size(); ++i) {
        auto r = equal_trees(a.items()[i], b.items()[i], where + "[" + std::to_string(i) + "]");
        if (!r) return r;
      }
      return ::testing::AssertionSuccess();
    }
    case PyValue::Kind::Dict: {
      if (a.ordered() != b.ordered()) return ::testing::AssertionFailure() << where << ": ordered differs";
      if (a.dict_items().size() != b.dict_items().size())
        return ::testing::AssertionFailure() << where << ": sizes differ";
      for (size_t i = 0; i < a.dict_items().size(); ++i) {
        auto rk = equal_trees(a.dict_items()[i].first, b.dict_items()[i].first, where + ".<key>");
        if (!rk) return rk;
        auto rv = equal_trees(a.dict_items()[i].second, b.dict_items()[i].second, where + "." + std::to_string(i));
        if (!rv) return rv;
      }
      return ::testing::AssertionSuccess();
    }
    case PyValue::Kind::Tensor:
      if (!same(a.as_tensor(), b.as_tensor())) return ::testing::AssertionFailure() << where << ": tensors differ";
      return ::testing::AssertionSuccess();
    case PyValue::Kind::Unsupported:
      if (a.type_name() != b.type_name()) return ::testing::AssertionFailure() << where;
      return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "unknown kind";
}

TEST(TorchCheckpointWrite, RoundTripsEveryKindOfValue) {
  TempDir dir;
  const std::string path = dir.file("tree.pth");
  const PyValue tree = sample_tree();
  write_torch_checkpoint(path, tree);
  std::vector<std::string> warnings;
  const PyValue back = read_torch_checkpoint(path, &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(equal_trees(tree, back));
}

TEST(TorchCheckpointWrite, RoundTripsTheFixtureExactly) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const PyValue original = read_torch_checkpoint(fixture("backbone/tiny_mono.train.pth"));
  write_torch_checkpoint(dir.file("copy.pth"), original);
  EXPECT_TRUE(equal_trees(original, read_torch_checkpoint(dir.file("copy.pth"))));
}

TEST(TorchCheckpointWrite, LayoutIsLikeTorchSave) {
  TempDir dir;
  const std::string path = dir.file("my-model.v2.pth");
  write_torch_checkpoint(path, unirep::io::state_dict_value({{"a", at::ones({3})}, {"b", at::zeros({5, 5})}}));
  const std::string bytes = unirep::testing::read_bytes(path);
  // Stored entries named after the file stem, and tensor data aligned to 64 bytes.
  for (const char* name : {"my-model.v2/data.pkl", "my-model.v2/byteorder", "my-model.v2/data/0", "my-model.v2/data/1",
                           "my-model.v2/version"})
    EXPECT_NE(bytes.find(name), std::string::npos) << name;
  const std::string ones(reinterpret_cast<const char*>(at::ones({3}).data_ptr()), 12);
  const auto at0 = bytes.find(ones);
  ASSERT_NE(at0, std::string::npos);
  EXPECT_EQ(at0 % 64, 0u);
  EXPECT_NE(bytes.find("3\n"), std::string::npos);
}

TEST(TorchCheckpointWrite, SharedTensorObjectIsStoredOnce) {
  TempDir dir;
  const auto w = at::randn({8, 8});
  write_torch_checkpoint(dir.file("tied.pth"), unirep::io::state_dict_value({{"enc", w}, {"dec", w}}));
  const PyValue back = read_torch_checkpoint(dir.file("tied.pth"));
  const auto& enc = back.find("enc")->as_tensor();
  const auto& dec = back.find("dec")->as_tensor();
  EXPECT_TRUE(same(enc, w));
  EXPECT_TRUE(enc.is_alias_of(dec));
}

TEST(TorchCheckpointWrite, RefusesWhatItCannotWrite) {
  TempDir dir;
  const std::string path = dir.file("bad.pth");
  auto expect_refused = [&](const PyValue& v, const std::string& what) {
    try {
      write_torch_checkpoint(path, v);
      ADD_FAILURE() << "wrote " << what;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
    EXPECT_FALSE(unirep::testing::file_exists(path));
  };
  expect_refused(PyValue::unsupported("argparse.Namespace"), "argparse.Namespace");
  expect_refused(PyValue::string("\xff\xfe"), "UTF-8");
  expect_refused(PyValue::tensor(at::zeros({2}, at::kComplexFloat)), "dtype");
  PyValue deep = PyValue::none();
  for (int i = 0; i < 200; ++i) deep = PyValue::list({deep});
  expect_refused(deep, "nested");
}

TEST(TorchCheckpointWrite, FailedWriteLeavesTheTargetAlone) {
  TempDir dir;
  const std::string path = dir.file("keep.pth");
  unirep::testing::write_bytes(path, "old content");
  EXPECT_THROW(write_torch_checkpoint(path, PyValue::unsupported("x.Y")), FormatError);
  EXPECT_EQ(unirep::testing::read_bytes(path), "old content");
  EXPECT_THROW(write_torch_checkpoint(dir.file("missing/dir/x.pth"), sample_tree()), FormatError);
  EXPECT_FALSE(unirep::testing::file_exists(dir.file("missing")));
}

TEST(TorchCheckpointPython, TorchLoadReadsWhatWeWrite) {
  UNIREP_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  const std::string path = dir.file("ours.pth");
  write_torch_checkpoint(path, sample_tree());
  const auto r = unirep::io_test::run_python(R"(
import sys, torch, collections
d = torch.load(sys.argv[1])
assert type(d) is dict, type(d)
m = d['model']
assert type(m) is collections.OrderedDict and list(m) == ['w', 'b']
assert torch.equal(m['w'], torch.arange(24, dtype=torch.float32).reshape(4, 6))
assert m['b'].dtype == torch.float64 and m['b'].tolist() == [1.5, -2.0]
v = d['views']
assert torch.equal(v['view_transposed'], m['w'].t()) and torch.equal(v['view_rows'], m['w'][1:3])
assert torch.equal(v['view_strided'], m['w'][:, 3])
assert d['epoch'] == 42 and d['lr'] == 0.00125 and d['name'] == 'UniRepLKNet \u03b1'
assert d['ints'] == [-1, 255, 65535, 1 << 40, -(1 << 63), (1 << 63) - 1], d['ints']
assert d['blob'] == b'\x00\x7f\x80\xff' and d['empty_blob'] == b''
assert d['flags'] == (True, False, None) and d['empty'] == ([], {}, ()) and d[7] == 'int key'
t = d['dtypes']
assert [x.dtype for x in t] == [torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8,
                                torch.uint8, torch.bool, torch.int64, torch.float32]
assert t[1].tolist() == [1.0, -2.5] and t[2].tolist() == [-5, 1 << 40] and t[6].tolist() == [7, 200]
assert t[7].tolist() == [True, False, True] and t[8].shape == () and t[8].item() == 3 and t[9].shape == (0, 3)
print('ok')
)",
                                             {path});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(TorchCheckpointPython, WeReadViewsSharedStoragesAndParametersFromTorchSave) {
  UNIREP_REQUIRE_PYTHON_TORCH();
  TempDir dir;
  const std::string path = dir.file("py.pth");
  const auto r = unirep::io_test::run_python(R"(
import sys, torch, collections, argparse
base = torch.arange(60, dtype=torch.float64).reshape(5, 12)
sd = collections.OrderedDict()
sd['base'] = base
sd['col'] = base[:, 7]
sd['block'] = base[1:4, 2:9:3]
sd['t'] = base.t()
sd['param'] = torch.nn.Parameter(torch.ones(2, 2))
sd['half'] = torch.tensor([1.5, -0.25], dtype=torch.float16)
sd['bf16'] = torch.tensor([3.0], dtype=torch.bfloat16)
sd['mask'] = torch.tensor([True, False])
ns = argparse.Namespace(lr=0.1, model='x')
torch.save({'model': sd, 'args': ns, 'epoch': 3, 'device': torch.device('cuda', 1), 'raw': b'\x01\xff'}, sys.argv[1])
)",
                                             {path});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> warnings;
  const PyValue root = read_torch_checkpoint(path, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "args: skipped argparse.Namespace");
  EXPECT_EQ(root.find("args")->kind(), PyValue::Kind::Unsupported);
  EXPECT_EQ(root.find("epoch")->as_int(), 3);
  EXPECT_EQ(root.find("device")->as_string(), "cuda:1");
  EXPECT_EQ(root.find("raw")->as_string(), std::string("\x01\xff", 2));
  const PyValue* sd = root.find("model");
  ASSERT_NE(sd, nullptr);
  const auto base = at::arange(60, at::kDouble).reshape({5, 12});
  const auto& ours = sd->find("base")->as_tensor();
  EXPECT_TRUE(same(ours, base));
  EXPECT_TRUE(same(sd->find("col")->as_tensor(), base.select(1, 7)));
  EXPECT_TRUE(same(sd->find("block")->as_tensor(), base.slice(0, 1, 4).slice(1, 2, 9, 3)));
  EXPECT_TRUE(same(sd->find("t")->as_tensor(), base.t()));
  // Views share the one storage, as in PyTorch.
  EXPECT_TRUE(sd->find("col")->as_tensor().is_alias_of(ours));
  EXPECT_TRUE(same(sd->find("param")->as_tensor(), at::ones({2, 2})));
  EXPECT_TRUE(same(sd->find("half")->as_tensor(), at::tensor({1.5f, -0.25f}).to(at::kHalf)));
  EXPECT_TRUE(same(sd->find("bf16")->as_tensor(), at::tensor({3.0f}).to(at::kBFloat16)));
  EXPECT_TRUE(same(sd->find("mask")->as_tensor(), at::tensor({1, 0}).to(at::kBool)));
}

// ---- hostile files ------------------------------------------------------------------------------

TEST(TorchCheckpointHostile, EveryTruncationIsAFormatError) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string whole = unirep::testing::read_bytes(fixture("backbone/tiny_mono.deploy.pth"));
  // Every cut in the first and last 16 KiB (local headers, pickle, central directory, end
  // records) and a stride through the tensor records in between.
  std::vector<size_t> cuts;
  for (size_t n = 0; n < whole.size(); n += (n < 16384 || n + 16384 > whole.size()) ? 1 : 997) cuts.push_back(n);
  unirep::io_test::for_each_prefix(dir.file("cut.pth"), whole, cuts, [&](size_t n) {
    EXPECT_TRUE(fails_with(dir.file("cut.pth"), "")) << "cut at " << n;
  });
}

TEST(TorchCheckpointHostile, FlippedZipStructuresNeverCrash) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  const std::string whole = unirep::testing::read_bytes(fixture("backbone/tiny_mono.deploy.pth"));
  // The first local header, and the central directory and end records: every flip either still
  // reads or is a FormatError. (Flips inside records are caught by their CRC-32, see below; the
  // unpickler is fuzzed on its own in unpickler_test.cpp.)
  const auto cd = whole.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(cd, std::string::npos);
  std::vector<size_t> positions;
  for (size_t i = 0; i < 128; ++i) positions.push_back(i);
  for (size_t i = cd; i < whole.size(); ++i) positions.push_back(i);
  for (unsigned char mask : {0x01, 0xff}) {
    unirep::io_test::for_each_flip(dir.file("flip.pth"), whole, positions, mask, [&](size_t i) {
      try {
        read_torch_checkpoint(dir.file("flip.pth"));
      } catch (const FormatError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << "flip at " << i << " threw a non-FormatError: " << e.what();
      }
    });
  }
}

TEST(TorchCheckpointHostile, NotACheckpoint) {
  TempDir dir;
  unirep::testing::write_bytes(dir.file("empty.pth"), "");
  EXPECT_TRUE(fails_with(dir.file("empty.pth"), "not a PyTorch checkpoint"));
  unirep::testing::write_bytes(dir.file("text.pth"), "hello world, this is not a zip file at all");
  EXPECT_TRUE(fails_with(dir.file("text.pth"), "not a PyTorch checkpoint"));
  unirep::testing::write_bytes(dir.file("legacy.pth"), std::string("\x80\x02\x8a\x0a", 4) + std::string(64, 'x'));
  EXPECT_TRUE(fails_with(dir.file("legacy.pth"), "legacy"));
  EXPECT_TRUE(fails_with(dir.file("nonexistent.pth"), "cannot open"));
  EXPECT_TRUE(fails_with(dir.path(), "not a regular file"));
}

TEST(TorchCheckpointHostile, MissingDataPklOrStorageRecord) {
  TempDir dir;
  {
    unirep::io::AtomicFile out(dir.file("nopkl.pth"));
    unirep::io::ZipWriter zip(out);
    zip.add("archive/version", std::string("3\n"));
    zip.finish();
    out.commit();
  }
  EXPECT_TRUE(fails_with(dir.file("nopkl.pth"), "no <folder>/data.pkl"));

  PickleBuilder p;
  p.tensor("FloatStorage", "0", 4, 0, {4}, {1}).stop();
  EXPECT_TRUE(fails_with(crafted(dir, p), "storage record 'archive/data/0' is missing"));
}

TEST(TorchCheckpointHostile, StorageLargerThanItsRecord) {
  TempDir dir;
  PickleBuilder p;
  p.tensor("FloatStorage", "0", 1000000000, 0, {4}, {1}).stop();
  EXPECT_TRUE(fails_with(crafted(dir, p, {{"data/0", unirep::io_test::floats_bytes({1, 2, 3, 4})}}), "is 16 bytes"));
}

TEST(TorchCheckpointHostile, ViewsOutsideTheirStorage) {
  TempDir dir;
  const std::map<std::string, std::string> rec = {{"data/0", unirep::io_test::floats_bytes({1, 2, 3, 4, 5, 6})}};
  auto with = [&](int32_t offset, const std::vector<int32_t>& size, const std::vector<int32_t>& stride) {
    PickleBuilder p;
    p.tensor("FloatStorage", "0", 6, offset, size, stride).stop();
    return crafted(dir, p, rec);
  };
  EXPECT_TRUE(fails_with(with(0, {7}, {1}), "does not fit"));
  EXPECT_TRUE(fails_with(with(3, {2, 2}, {2, 1}), "does not fit"));  // reaches element 6
  EXPECT_TRUE(fails_with(with(7, {0}, {1}), "offset"));
  EXPECT_TRUE(fails_with(with(-1, {1}, {1}), "offset"));
  EXPECT_TRUE(fails_with(with(0, {-2}, {1}), "non-negative"));
  EXPECT_TRUE(fails_with(with(0, {2}, {-1}), "non-negative"));
  EXPECT_TRUE(fails_with(with(0, {2, 2}, {1}), "different lengths"));
  EXPECT_TRUE(fails_with(with(0, {1000, 1000}, {0, 0}), "more elements than its storage"));
  EXPECT_TRUE(fails_with(with(0, {0x7fffffff, 0x7fffffff, 0x7fffffff}, {1, 1, 1}), "overflows"));
  // In bounds: the last element exactly.
  PickleBuilder ok;
  ok.tensor("FloatStorage", "0", 6, 2, {2, 2}, {2, 1}).stop();
  const PyValue v = read_torch_checkpoint(crafted(dir, ok, rec));
  EXPECT_TRUE(same(v.as_tensor(), at::tensor({3.f, 4.f, 5.f, 6.f}).reshape({2, 2})));
}

TEST(TorchCheckpointHostile, StorageTypesAreAnAllowList) {
  TempDir dir;
  PickleBuilder p;
  p.tensor("ComplexFloatStorage", "0", 1, 0, {1}, {1}).stop();
  EXPECT_TRUE(fails_with(crafted(dir, p, {{"data/0", std::string(8, '\0')}}), "unsupported storage type"));
  PickleBuilder b;
  b.tensor("BoolStorage", "0", 2, 0, {2}, {1}).stop();
  EXPECT_TRUE(fails_with(crafted(dir, b, {{"data/0", std::string("\x01\x07", 2)}}), "bool values"));
}

TEST(TorchCheckpointHostile, OneStorageKeyWithTwoTypes) {
  TempDir dir;
  PickleBuilder p;
  p.mark().tensor("FloatStorage", "0", 2, 0, {2}, {1}).tensor("IntStorage", "0", 2, 0, {2}, {1}).tuple().stop();
  EXPECT_TRUE(fails_with(crafted(dir, p, {{"data/0", std::string(8, '\0')}}), "different types or sizes"));
}

TEST(TorchCheckpointHostile, GlobalsOutsideTheAllowListNeverRun) {
  TempDir dir;
  const std::string marker = dir.file("pwned");
  // {'model': {}, 'x': os.system('touch <marker>')}
  PickleBuilder p;
  p.empty_dict()
      .mark()
      .str("model")
      .empty_dict()
      .str("x")
      .global("os", "system")
      .mark()
      .str("touch " + marker)
      .tuple()
      .reduce();
  p.op('u').stop();
  std::vector<std::string> warnings;
  const PyValue root = read_torch_checkpoint(crafted(dir, p), &warnings);
  EXPECT_FALSE(unirep::testing::file_exists(marker));
  ASSERT_NE(root.find("x"), nullptr);
  EXPECT_EQ(root.find("x")->kind(), PyValue::Kind::Unsupported);
  EXPECT_EQ(root.find("x")->type_name(), "os.system");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "x: skipped os.system");

  // The same at the root, and through NEWOBJ + BUILD.
  PickleBuilder q;
  q.global("os", "system").mark().str("touch " + marker).tuple().reduce().stop();
  warnings.clear();
  EXPECT_EQ(read_torch_checkpoint(crafted(dir, q), &warnings).type_name(), "os.system");
  EXPECT_EQ(warnings, std::vector<std::string>{"(root): skipped os.system"});
  PickleBuilder n;
  n.global("subprocess", "Popen")
      .op(')')
      .op(0x81)
      .empty_dict()
      .str("args")
      .str("touch " + marker)
      .setitem()
      .op('b')
      .stop();
  EXPECT_EQ(read_torch_checkpoint(crafted(dir, n)).type_name(), "subprocess.Popen");
  EXPECT_FALSE(unirep::testing::file_exists(marker));
}

TEST(TorchCheckpointHostile, ArgparseNamespaceNextToTheModel) {
  TempDir dir;
  // {'model': OrderedDict(w=tensor), 'args': argparse.Namespace(lr=0.1)} as Python pickles it.
  PickleBuilder p;
  p.empty_dict().op('q').op(0).mark();
  p.str("model").global("collections", "OrderedDict").op(')').reduce().str("w");
  p.tensor("FloatStorage", "0", 2, 0, {2}, {1}).setitem();
  p.str("args").global("argparse", "Namespace").op(')').op(0x81).empty_dict().str("lr");
  p.op('G').raw(std::string("\x3f\xb9\x99\x99\x99\x99\x99\x9a", 8)).setitem().op('b');
  p.op('u').stop();
  std::vector<std::string> warnings;
  const PyValue root =
      read_torch_checkpoint(crafted(dir, p, {{"data/0", unirep::io_test::floats_bytes({1, 2})}}), &warnings);
  EXPECT_EQ(warnings, std::vector<std::string>{"args: skipped argparse.Namespace"});
  ASSERT_NE(root.find("model"), nullptr);
  EXPECT_TRUE(same(root.find("model")->find("w")->as_tensor(), at::tensor({1.f, 2.f})));
}

TEST(TorchCheckpointHostile, UnknownOpcodeNamesItselfAndItsOffset) {
  TempDir dir;
  PickleBuilder p;
  p.op(']').op('I').raw("12\n").stop();  // INT (protocol 0): not something torch.save writes
  EXPECT_TRUE(fails_with(crafted(dir, p), "unsupported pickle opcode 0x49 ('I') at byte 3"));
  PickleBuilder q;
  q.op(0xff).stop();
  EXPECT_TRUE(fails_with(crafted(dir, q), "opcode 0xff at byte 2"));
}

TEST(TorchCheckpointHostile, MalformedPickles) {
  TempDir dir;
  auto pickle = [&](const std::string& body) {
    PickleBuilder p;
    p.raw(body);
    return crafted(dir, p);
  };
  EXPECT_TRUE(fails_with(pickle(""), "without STOP"));
  EXPECT_TRUE(fails_with(pickle("N"), "without STOP"));
  EXPECT_TRUE(fails_with(pickle("."), "exactly one value"));
  EXPECT_TRUE(fails_with(pickle("NN."), "exactly one value"));
  EXPECT_TRUE(fails_with(pickle("0."), "underflow"));
  EXPECT_TRUE(fails_with(pickle("(R."), "underflow"));
  EXPECT_TRUE(fails_with(pickle("t."), "no MARK"));
  EXPECT_TRUE(fails_with(pickle("h\x05."), "memo entry 5"));
  EXPECT_TRUE(fails_with(pickle(std::string("X\xff\xff\xff\x7f", 5) + "abc."), "runs past the end"));
  EXPECT_TRUE(fails_with(pickle(std::string("\x8d\xff\xff\xff\xff\xff\xff\xff\xff", 9)), "runs past the end"));
  EXPECT_TRUE(fails_with(pickle(std::string("T\xff\xff\xff\xff", 5)), "negative length"));
  EXPECT_TRUE(fails_with(pickle("\x8a\x09" + std::string(9, '\x01') + "."), "wider than 64 bits"));
  EXPECT_TRUE(fails_with(pickle("cos\nsys tem\n."), "malformed GLOBAL"));
  EXPECT_TRUE(fails_with(pickle("cos\nsystem"), "truncated GLOBAL"));
  EXPECT_TRUE(fails_with(pickle("NNR."), "not callable"));
  EXPECT_TRUE(fails_with(pickle("]NNs."), "SETITEM on a list"));
  EXPECT_TRUE(fails_with(pickle("N]a."), "APPEND to a None"));
  EXPECT_TRUE(fails_with(pickle("(N(N(NQ."), "persistent id"));
  EXPECT_TRUE(fails_with(pickle("\x80\x09N."), "protocol 9"));
  EXPECT_TRUE(fails_with(pickle("ccollections\nOrderedDict\n(]tR."), "constructor arguments"));
}

TEST(TorchCheckpointHostile, RecursiveStructuresAreRefused) {
  TempDir dir;
  PickleBuilder self;  // l = []; l.append(l)
  self.op(']').op('q').op(0).op('h').op(0).op('a').stop();
  EXPECT_TRUE(fails_with(crafted(dir, self), "recursive"));
  PickleBuilder late;  // a = []; b = [a]; a.append(1) -- modifying a after nesting it
  late.op(']').op('q').op(0).op(']').op('h').op(0).op('a').op('h').op(0).int1(1).op('a').op('0').stop();
  EXPECT_TRUE(fails_with(crafted(dir, late), "recursive"));
}

TEST(TorchCheckpointHostile, DeepNestingIsBounded) {
  TempDir dir;
  PickleBuilder p;  // ((((...()...),),) a million levels deep in two bytes per level
  p.op(')');
  for (int i = 0; i < 1000000; ++i) p.op(0x85);
  p.stop();
  EXPECT_TRUE(fails_with(crafted(dir, p), "nested deeper"));
  PickleBuilder marks;
  for (int i = 0; i < 1000000; ++i) marks.op('(');
  marks.stop();
  EXPECT_TRUE(fails_with(crafted(dir, marks), "MARK"));
  PickleBuilder stack;
  for (int i = 0; i < 1000000; ++i) stack.op('N');
  stack.stop();
  EXPECT_TRUE(fails_with(crafted(dir, stack), "stack grows"));
}

TEST(TorchCheckpointHostile, MemoCopiesCannotBlowUpMemory) {
  TempDir dir;
  // One 8 MiB string copied onto the stack again and again through BINGET.
  PickleBuilder p;
  p.op(']').str(std::string(8 << 20, 'x')).op('q').op(0).op('a');
  for (int i = 0; i < 5000; ++i) p.op('h').op(0).op('0');
  p.stop();
  EXPECT_TRUE(fails_with(crafted(dir, p), "MiB of objects"));
}

TEST(TorchCheckpointHostile, DuplicateKeysReplaceLikePython) {
  TempDir dir;
  PickleBuilder p;
  p.empty_dict().mark().str("a").int1(1).str("b").int1(2).str("a").int1(3).op('u').stop();
  const PyValue v = read_torch_checkpoint(crafted(dir, p));
  ASSERT_EQ(v.dict_items().size(), 2u);
  EXPECT_EQ(v.dict_items()[0].first.as_string(), "a");
  EXPECT_EQ(v.dict_items()[0].second.as_int(), 3);
}

TEST(TorchCheckpointHostile, CompressedOrCorruptRecords) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir dir;
  std::string bytes = unirep::testing::read_bytes(fixture("backbone/tiny_mono.deploy.pth"));
  // Mark the first central directory entry as deflated.
  const auto cd = bytes.find(std::string("PK\x01\x02", 4));
  std::string deflated = bytes;
  deflated[cd + 10] = 8;
  unirep::testing::write_bytes(dir.file("deflated.pth"), deflated);
  EXPECT_TRUE(fails_with(dir.file("deflated.pth"), "compressed (method 8)"));
  // A flipped byte inside a tensor record is caught by its CRC-32.
  const unirep::io::ZipReader zip(fixture("backbone/tiny_mono.deploy.pth"));
  const auto* rec = zip.find("tiny_mono.deploy/data/5");
  ASSERT_NE(rec, nullptr);
  ASSERT_GT(rec->size, 1u);
  std::string flipped = bytes;
  flipped[rec->data_offset + 1] ^= 0x01;
  unirep::testing::write_bytes(dir.file("flipped.pth"), flipped);
  EXPECT_TRUE(fails_with(dir.file("flipped.pth"), "CRC-32"));
  // An entry pointing past the end of the file.
  std::string past = bytes;
  past[cd + 42 + 3] = 0x7f;  // local header offset of the first entry
  unirep::testing::write_bytes(dir.file("past.pth"), past);
  EXPECT_TRUE(fails_with(dir.file("past.pth"), "truncated"));
}

}  // namespace
