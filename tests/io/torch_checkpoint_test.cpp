#include <unirep/io/format_error.h>
#include <unirep/io/torch_checkpoint.h>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "support/test_support.h"

using unirep::io::FormatError;
using unirep::io::PyValue;
using unirep::io::read_torch_checkpoint;
using unirep::io::write_torch_checkpoint;
using unirep::testing::fixture;
using unirep::testing::read_bytes;
using unirep::testing::TempDir;
using unirep::testing::write_bytes;
using namespace std::string_literals;

namespace {

// A minimal stored-entry zip, so tests can hand-craft hostile checkpoints byte by byte.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& files) {
  auto le = [](std::string& s, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  std::string out, cd;
  for (const auto& [name, data] : files) {
    const uint64_t off = out.size();
    le(out, 0x04034b50, 4), le(out, 20, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 4), le(out, 0, 4);
    le(out, data.size(), 4), le(out, data.size(), 4), le(out, name.size(), 2), le(out, 0, 2);
    out += name + data;
    le(cd, 0x02014b50, 4), le(cd, 20, 2), le(cd, 20, 2), le(cd, 0, 2), le(cd, 0, 2), le(cd, 0, 4), le(cd, 0, 4);
    le(cd, data.size(), 4), le(cd, data.size(), 4), le(cd, name.size(), 2), le(cd, 0, 2), le(cd, 0, 2);
    le(cd, 0, 2), le(cd, 0, 2), le(cd, 0, 4), le(cd, off, 4);
    cd += name;
  }
  const uint64_t cd_off = out.size();
  out += cd;
  le(out, 0x06054b50, 4), le(out, 0, 4), le(out, files.size(), 2), le(out, files.size(), 2);
  le(out, cd.size(), 4), le(out, cd_off, 4), le(out, 0, 2);
  return out;
}

bool have_python_torch() { return std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0; }

}  // namespace

TEST(TorchCheckpoint, ReadsTheOfficialTrainAndDeployFiles) {
  UNIREP_REQUIRE_FIXTURES();
  std::vector<std::string> warnings;
  auto train = read_torch_checkpoint(fixture("backbone/tiny_mono.train.pth"), &warnings);
  EXPECT_TRUE(warnings.empty());
  ASSERT_TRUE(train.is_dict());
  const auto* model = train.find("model");
  ASSERT_NE(model, nullptr);
  EXPECT_TRUE(model->ordered());
  const auto* w = model->find("downsample_layers.0.0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->as_tensor().sizes(), (std::vector<int64_t>{4, 1, 3, 3}));
  const auto* nbt = model->find("stages.0.0.norm.num_batches_tracked");
  ASSERT_NE(nbt, nullptr);
  EXPECT_EQ(nbt->as_tensor().scalar_type(), at::kLong);
  EXPECT_EQ(nbt->as_tensor().dim(), 0);

  auto deploy = read_torch_checkpoint(fixture("backbone/tiny_mono.deploy.pth"));
  ASSERT_TRUE(deploy.is_dict());
  EXPECT_NE(deploy.find("stages.1.0.dwconv.lk_origin.bias"), nullptr);
  EXPECT_EQ(deploy.find("stages.0.0.gamma"), nullptr);
  auto a = read_torch_checkpoint(fixture("backbone/unireplknet_a.train.pth"));
  EXPECT_EQ(a.find("model")->find("head.weight")->as_tensor().sizes(), (std::vector<int64_t>{1000, 320}));
}

TEST(TorchCheckpoint, RoundTripsNestedValues) {
  TempDir tmp;
  auto base = at::rand({4, 6});
  PyValue root = PyValue::dict();
  root.set("model", unirep::io::state_dict_value({{"w", base}, {"view", base.t()}, {"row", base[2]}, {"i", at::arange(3)}}));
  root.set("epoch", PyValue::integer(7));
  root.set("big", PyValue::integer(-5000000000LL));
  root.set("lr", PyValue::floating(1.25e-4));
  root.set("name", PyValue::string("unirep \xc3\xa9"));
  root.set("blob", PyValue::bytes(std::string("\x00\xff\x80z", 4)));
  root.set("flags", PyValue::list({PyValue::boolean(true), PyValue::none(), PyValue::tuple({PyValue::integer(1), PyValue::integer(70000)})}));
  write_torch_checkpoint(tmp.file("c.pth"), root);
  auto back = read_torch_checkpoint(tmp.file("c.pth"));
  const auto* m = back.find("model");
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->ordered());
  EXPECT_TRUE(at::equal(m->find("w")->as_tensor(), base));
  EXPECT_TRUE(at::equal(m->find("view")->as_tensor(), base.t()));
  EXPECT_TRUE(at::equal(m->find("row")->as_tensor(), base[2]));
  EXPECT_TRUE(at::equal(m->find("i")->as_tensor(), at::arange(3)));
  EXPECT_EQ(back.find("epoch")->as_int(), 7);
  EXPECT_EQ(back.find("big")->as_int(), -5000000000LL);
  EXPECT_DOUBLE_EQ(back.find("lr")->as_float(), 1.25e-4);
  EXPECT_EQ(back.find("name")->as_string(), "unirep \xc3\xa9");
  EXPECT_EQ(back.find("blob")->as_string(), std::string("\x00\xff\x80z", 4));
  const auto& flags = back.find("flags")->items();
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_TRUE(flags[0].as_bool());
  EXPECT_TRUE(flags[1].is_none());
  EXPECT_EQ(flags[2].items()[1].as_int(), 70000);
}

TEST(TorchCheckpoint, PyTorchLoadsWhatWeWriteAndWeLoadWhatPyTorchWrites) {
  if (!have_python_torch()) GTEST_SKIP() << "python3-torch is not installed; skipping the cross-check with PyTorch";
  TempDir tmp;
  PyValue root = PyValue::dict();
  root.set("model", unirep::io::state_dict_value({{"a", at::arange(6, at::kFloat).reshape({2, 3})}, {"b", at::tensor({7L})}}));
  root.set("epoch", PyValue::integer(3));
  write_torch_checkpoint(tmp.file("ours.pth"), root);
  const std::string check = "/usr/bin/python3 -c \"import torch; c = torch.load('" + tmp.file("ours.pth") +
                            "'); m = c['model']; assert c['epoch'] == 3; assert m['a'][1, 2].item() == 5.0; "
                            "assert m['b'].dtype == torch.int64 and m['b'].item() == 7; print('ok')\"";
  EXPECT_EQ(std::system(check.c_str()), 0);

  // PyTorch writes views sharing one storage, a Parameter, and an argparse.Namespace next to the model.
  const std::string make = "/usr/bin/python3 -c \"import torch, argparse, collections; s = torch.arange(12.).reshape(3, 4); "
                           "sd = collections.OrderedDict(full=s, col=s[:, 1], t=s.t(), p=torch.nn.Parameter(torch.ones(2))); "
                           "torch.save({'model': sd, 'args': argparse.Namespace(lr=0.1), 'epoch': 4}, '" + tmp.file("theirs.pth") + "')\"";
  ASSERT_EQ(std::system(make.c_str()), 0);
  std::vector<std::string> warnings;
  auto theirs = read_torch_checkpoint(tmp.file("theirs.pth"), &warnings);
  auto full = at::arange(12, at::kFloat).reshape({3, 4});
  const auto* m = theirs.find("model");
  EXPECT_TRUE(at::equal(m->find("full")->as_tensor(), full));
  EXPECT_TRUE(at::equal(m->find("col")->as_tensor(), full.select(1, 1)));
  EXPECT_TRUE(at::equal(m->find("t")->as_tensor(), full.t()));
  EXPECT_TRUE(at::equal(m->find("p")->as_tensor(), at::ones({2})));
  EXPECT_EQ(theirs.find("epoch")->as_int(), 4);
  EXPECT_EQ(theirs.find("args")->kind(), PyValue::Kind::Unsupported);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("args: skipped argparse.Namespace"), std::string::npos) << warnings[0];
}

TEST(TorchCheckpoint, AGlobalOutsideTheAllowListNeverRuns) {
  TempDir tmp;
  const auto marker = tmp.file("pwned");
  // {'x': os.system('touch <marker>')} as protocol 2 bytes.
  std::string pkl = "\x80\x02}q\x00X\x01\x00\x00\x00x"s;
  pkl += "cos\nsystem\n";
  const std::string cmd = "touch " + marker;
  pkl += "X";
  for (int i = 0; i < 4; ++i) pkl.push_back(static_cast<char>((cmd.size() >> (8 * i)) & 0xff));
  pkl += cmd + "\x85R";
  pkl += "s.";
  write_bytes(tmp.file("evil.pth"), zip_of({{"evil/data.pkl", pkl}, {"evil/version", "3\n"}}));
  std::vector<std::string> warnings;
  auto v = read_torch_checkpoint(tmp.file("evil.pth"), &warnings);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the pickle ran code";
  ASSERT_NE(v.find("x"), nullptr);
  EXPECT_EQ(v.find("x")->type_name(), "os.system");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("x: skipped os.system"), std::string::npos);
}

TEST(TorchCheckpoint, HostileArchivesAreRejectedWithClearErrors) {
  TempDir tmp;
  auto tensor_pkl = [](const std::string& key, int numel, std::vector<int> size, std::vector<int> stride, int offset) {
    std::string p = "\x80\x02}X\x01\x00\x00\x00tctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX"s;
    p.push_back(static_cast<char>(key.size()));
    p += std::string(3, '\0') + key + "X\x03\x00\x00\x00" "cpuJ"s;
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((numel >> (8 * i)) & 0xff));
    p += "tQJ";
    for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((offset >> (8 * i)) & 0xff));
    auto tup = [&](const std::vector<int>& v) {
      p += "(";
      for (int x : v) {
        p += "J";
        for (int i = 0; i < 4; ++i) p.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
      }
      p += "t";
    };
    tup(size);
    tup(stride);
    p += "\x89}tRs.";
    return p;
  };
  const std::string four_floats(16, '\0');
  struct Case {
    std::string name;
    std::vector<std::pair<std::string, std::string>> files;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"ok-control", {{"a/data.pkl", tensor_pkl("0", 4, {2, 2}, {2, 1}, 0)}, {"a/data/0", four_floats}}, ""},
      {"record-too-small", {{"a/data.pkl", tensor_pkl("0", 1000, {10}, {1}, 0)}, {"a/data/0", four_floats}}, "storage needs"},
      {"view-outside", {{"a/data.pkl", tensor_pkl("0", 4, {3, 2}, {2, 1}, 0)}, {"a/data/0", four_floats}}, "does not fit"},
      {"offset-outside", {{"a/data.pkl", tensor_pkl("0", 4, {2}, {1}, 3)}, {"a/data/0", four_floats}}, "does not fit"},
      {"huge-shape", {{"a/data.pkl", tensor_pkl("0", 4, {2000000000, 2000000000}, {2000000000, 1}, 0)}, {"a/data/0", four_floats}}, "does not fit"},
      {"negative-size", {{"a/data.pkl", tensor_pkl("0", 4, {-1}, {1}, 0)}, {"a/data/0", four_floats}}, "non-negative"},
      {"missing-record", {{"a/data.pkl", tensor_pkl("7", 4, {4}, {1}, 0)}}, "is missing"},
      {"no-pickle", {{"a/version", "3\n"}}, "data.pkl"},
      {"bad-opcode", {{"a/data.pkl", std::string("\x80\x02\xff.", 4)}}, "opcode 0xff"},
      {"no-stop", {{"a/data.pkl", std::string("\x80\x02}", 3)}}, "STOP"},
      {"underflow", {{"a/data.pkl", std::string("\x80\x02s.", 4)}}, "underflow"},
      {"long-string", {{"a/data.pkl", std::string("\x80\x02X\xff\xff\xff\x7f", 7)}}, "past the end"},
      {"memo-miss", {{"a/data.pkl", std::string("\x80\x02h\x05.", 5)}}, "memo"},
  };
  for (const auto& c : cases) {
    const auto path = tmp.file(c.name + ".pth");
    write_bytes(path, zip_of(c.files));
    if (c.expect.empty()) {
      auto v = read_torch_checkpoint(path);
      EXPECT_EQ(v.find("t")->as_tensor().sizes(), (std::vector<int64_t>{2, 2}));
      continue;
    }
    try {
      read_torch_checkpoint(path);
      ADD_FAILURE() << c.name << " was accepted";
    } catch (const FormatError& e) {
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << c.name << ": " << e.what();
    }
  }
  write_bytes(tmp.file("text.pth"), "hello world, not a zip");
  EXPECT_THROW(read_torch_checkpoint(tmp.file("text.pth")), FormatError);
  write_bytes(tmp.file("legacy.pth"), "\x80\x02\x8a\x0a" "legacy"s);
  EXPECT_THROW(read_torch_checkpoint(tmp.file("legacy.pth")), FormatError);
}

TEST(TorchCheckpoint, TruncatedAndCorruptedFilesNeverCrash) {
  UNIREP_REQUIRE_FIXTURES();
  TempDir tmp;
  const auto bytes = read_bytes(fixture("backbone/tiny_mono.deploy.pth"));
  std::vector<size_t> cuts;
  for (size_t c = 0; c < bytes.size(); c += bytes.size() / 97 + 1) cuts.push_back(c);
  for (size_t c = bytes.size() > 3000 ? bytes.size() - 3000 : 0; c < bytes.size(); ++c) cuts.push_back(c);
  for (size_t cut : cuts) {
    write_bytes(tmp.file("cut.pth"), bytes.substr(0, cut));
    EXPECT_THROW(read_torch_checkpoint(tmp.file("cut.pth")), FormatError) << "cut at " << cut;
  }
  // Flipping bytes anywhere must give a value or a FormatError, never a crash or another exception.
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    auto corrupt = bytes;
    for (int k = 0; k < 4; ++k) corrupt[rng() % corrupt.size()] ^= static_cast<char>(1 + rng() % 255);
    write_bytes(tmp.file("flip.pth"), corrupt);
    try {
      read_torch_checkpoint(tmp.file("flip.pth"));
    } catch (const FormatError&) {
    }
  }
}
