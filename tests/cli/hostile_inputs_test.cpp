// Hostile and faulty inputs end to end: every CLI command that reads a file gets a missing file, a
// directory, an empty file, a text file with the right extension, a truncated file, a file whose
// header claims absurd sizes, and non-finite values where the format can carry them. Each must exit
// with a clear one-line reason naming the file (or, where documented, succeed with a valid
// result), never crash, and never leave an output file. Also: a full disk on output keeps the
// previous file intact, and SIGINT during training leaves a resumable checkpoint.
//
// UNIREP_HOSTILE_TABLE=FILE writes the behaviour table of docs/reliability.md.
#include "models/io/npy.h"
#include "modalities/audio/wav_writer.h"
#include <support/test_models.h>
#include <support/test_support.h>

#include <ATen/ATen.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <thread>
namespace fs = std::filesystem;

namespace {

// The reason: our "unirep: error: ..." line, or else CLI11's first line (a usage error).
std::string error_line(const std::string& s) {
  const auto at = s.find("unirep: error:");
  if (at != std::string::npos) return s.substr(at, s.find('\n', at) - at);
  return s.substr(0, s.find('\n'));
}

std::string truncated(const std::string& bytes) {
  return bytes.substr(0, bytes.size() / 2);
}

struct Input {
  std::string kind;  // "missing", "directory", ...
  std::string path;
  std::string success;  // non-empty: succeeding is the documented behaviour, said so in the table
};

// The hostile variants of one file type, next to a valid example of it.
std::vector<Input> hostile_variants(const unirep::testing::TempDir& d, const std::string& stem, const std::string& ext,
                                    const std::string& valid_bytes, const std::string& absurd_bytes,
                                    const std::string& non_finite_bytes = "") {
  std::vector<Input> v;
  const auto p = [&](const std::string& k) { return d.file(stem + "_" + k + ext); };
  v.push_back({"missing file", p("missing")});
  fs::create_directory(p("dir"));
  v.push_back({"a directory", p("dir")});
  unirep::testing::write_bytes(p("empty"), "");
  v.push_back({"empty file", p("empty")});
  unirep::testing::write_bytes(p("text"), "This is a text file, not the format its name promises.\n");
  v.push_back({"text file with the extension", p("text")});
  unirep::testing::write_bytes(p("truncated"), truncated(valid_bytes));
  v.push_back({"truncated (first half)", p("truncated")});
  if (!absurd_bytes.empty()) {
    unirep::testing::write_bytes(p("absurd"), absurd_bytes);
    v.push_back({"header claims absurd sizes", p("absurd")});
  }
  if (!non_finite_bytes.empty()) {
    unirep::testing::write_bytes(p("nonfinite"), non_finite_bytes);
    v.push_back({"NaN / Inf values", p("nonfinite")});
  }
  return v;
}

std::string le32(uint32_t v) {
  return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
}

std::string wav_with_data_size(uint32_t size, size_t actual) {
  std::string h = "RIFF" + le32(36 + size) + "WAVEfmt " + le32(16);
  h += std::string{1, 0, 1, 0} + le32(16000) + le32(32000) + std::string{2, 0, 16, 0};
  h += "data" + le32(size) + std::string(actual, '\x01');
  return h;
}

struct Row {
  std::string command, input, outcome;
};

}  // namespace

TEST(HostileInputs, EveryCommandFailsCleanlyAndLeavesNoOutput) {
  unirep::testing::TempDir d;
  const auto out = d.file("out.npy");
  // Valid files of every kind, and the models the commands need.
  unirep::testing::write_audio_model(d.file("audio_model.safetensors"));
  unirep::testing::write_point_model(d.file("point_model.safetensors"));
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("tiny.safetensors"));
  std::ofstream(d.file("series.csv")) << unirep::testing::sinusoid_csv(200);
  unirep::testing::write_forecaster(d.file("series.csv"), d.file("forecaster.safetensors"));
  std::vector<float> tone(16000);
  for (size_t i = 0; i < tone.size(); ++i) tone[i] = 0.3f * std::sin(0.1f * static_cast<float>(i));
  unirep::modalities::write_wav(d.file("tone.wav"), tone, 16000);
  std::string ppm = "P6\n64 48\n255\n" + std::string(64 * 48 * 3, '\x80');
  std::string ply =
      "ply\nformat ascii 1.0\nelement vertex 50\nproperty float x\nproperty float y\nproperty float z\nend_header\n";
  for (int i = 0; i < 50; ++i)
    ply += std::to_string(i * 0.1) + " " + std::to_string(std::sin(i)) + " " + std::to_string(std::cos(i)) + "\n";
  unirep::io::write_npy(d.file("x.npy"), at::rand({1, 3, 32, 32}));
  std::string nan_npy_path = d.file("nan_src.npy");
  auto nan_x = at::rand({1, 3, 32, 32});
  nan_x[0][1][3][4] = std::numeric_limits<float>::quiet_NaN();
  unirep::io::write_npy(nan_npy_path, nan_x);
  const bool have_ffmpeg = std::system("ffmpeg -version >/dev/null 2>&1") == 0;
  if (have_ffmpeg)
    ASSERT_EQ(
        std::system(("ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=s=64x48:r=10:d=1 -pix_fmt yuv420p " +
                     d.file("v.mp4"))
                        .c_str()),
        0);
  // A valid .npy header (v1, 64-byte aligned) promising 10^12 x 3 x 32 x 32 floats, with 64 bytes of data.
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 3, 32, 32), }";
  dict += std::string((64 - (10 + dict.size() + 1) % 64) % 64, ' ') + "\n";
  const std::string absurd_npy = std::string("\x93NUMPY\x01\x00", 8) +
                                 std::string{char(dict.size() & 0xff), char(dict.size() >> 8)} + dict +
                                 std::string(64, '\0');
  std::string absurd_safetensors = std::string{0, 0, 0, 0, 0, 0, 0, 0x10} + "{}";

  struct Command {
    std::string name;
    std::vector<Input> inputs;
    std::function<std::vector<std::string>(const std::string&)> args;
  };
  std::vector<Command> commands;
  auto audio_inputs = hostile_variants(d, "clip", ".wav", unirep::testing::read_bytes(d.file("tone.wav")),
                                       wav_with_data_size(0xFFFFFF00u, 3200));
  // A WAV cut short or promising more data than it has is what an interrupted recording looks
  // like: like libsndfile, sox and FFmpeg, the reader takes the samples that are there.
  for (auto& in : audio_inputs)
    if (in.kind.rfind("truncated", 0) == 0 || in.kind.rfind("header", 0) == 0)
      in.success = "reads the samples that are there";
  commands.push_back({"preprocess audio", audio_inputs, [&](const std::string& f) {
                        return std::vector<std::string>{"preprocess", "audio", f, "--output-npy", out};
                      }});
  commands.push_back(
      {"classify-audio", audio_inputs, [&](const std::string& f) {
         return std::vector<std::string>{"classify-audio", f, "--model-file", d.file("audio_model.safetensors")};
       }});
  commands.push_back({"preprocess image",
                      hostile_variants(d, "photo", ".ppm", ppm, "P6\n100000 100000\n255\n" + std::string(300, 'x')),
                      [&](const std::string& f) {
                        return std::vector<std::string>{"preprocess", "image", f, "--output-npy", out};
                      }});
  if (have_ffmpeg)
    commands.push_back({"preprocess video",
                        hostile_variants(d, "movie", ".mp4", unirep::testing::read_bytes(d.file("v.mp4")), ""),
                        [&](const std::string& f) {
                          return std::vector<std::string>{"preprocess", "video", f, "--output-npy", out};
                        }});
  const std::string absurd_ply =
      "ply\nformat binary_little_endian 1.0\nelement vertex 1000000000000\nproperty float x\nproperty float "
      "y\nproperty float z\nend_header\n" +
      std::string(120, '\0');
  const auto point_inputs = hostile_variants(d, "cloud", ".ply", ply, absurd_ply);
  commands.push_back({"preprocess points", point_inputs, [&](const std::string& f) {
                        return std::vector<std::string>{"preprocess", "points", f, "--output-npy", out};
                      }});
  auto xyz_nan = hostile_variants(d, "scan", ".xyz", "0 0 0\n1 1 1\n", "", "nan nan nan\ninf 0 0\nnan 1 2\n");
  commands.push_back(
      {"classify-points", {xyz_nan.back()}, [&](const std::string& f) {
         return std::vector<std::string>{"classify-points", f, "--model-file", d.file("point_model.safetensors")};
       }});
  std::string csv = unirep::testing::read_bytes(d.file("series.csv"));
  std::string nan_csv = csv;
  nan_csv.replace(nan_csv.rfind('\n', nan_csv.size() - 2) + 1, std::string::npos, "2020-01-09 08:00,inf,nan\n");
  auto csv_inputs = hostile_variants(d, "series", ".csv", csv, "", nan_csv);
  // A CSV cut short is a well-formed shorter series unless the cut leaves a short row.
  for (auto& in : csv_inputs)
    if (in.kind.rfind("truncated", 0) == 0) in.success = "a shorter series (the cut left whole rows)";
  commands.push_back({"forecast predict", csv_inputs, [&](const std::string& f) {
                        return std::vector<std::string>{"forecast", "predict",
                                                        "--csv",    f,
                                                        "--model",  d.file("forecaster.safetensors"),
                                                        "--output", d.file("forecast.csv")};
                      }});
  commands.push_back({"infer (input .npy)",
                      hostile_variants(d, "input", ".npy", unirep::testing::read_bytes(d.file("x.npy")), absurd_npy,
                                       unirep::testing::read_bytes(nan_npy_path)),
                      [&](const std::string& f) {
                        return std::vector<std::string>{
                            "infer",       "--model", d.file("tiny.json"), "--weights", d.file("tiny.safetensors"),
                            "--input-npy", f,         "--output-npy",      out};
                      }});
  commands.push_back(
      {"classify-audio (model file)",
       hostile_variants(d, "model", ".safetensors", unirep::testing::read_bytes(d.file("audio_model.safetensors")),
                        absurd_safetensors),
       [&](const std::string& f) {
         return std::vector<std::string>{"classify-audio", d.file("tone.wav"), "--model-file", f};
       }});
  commands.push_back(
      {"reparam (weights)",
       hostile_variants(d, "weights", ".pth", unirep::testing::read_bytes(d.file("tiny.safetensors")), ""),
       [&](const std::string& f) {
         return std::vector<std::string>{"reparam", "--model", d.file("tiny.json"), "--weights", f, "--output", out};
       }});

  std::vector<Row> table;
  for (const auto& c : commands)
    for (const auto& in : c.inputs) {
      const auto r = unirep::testing::run_cli(c.args(in.path));
      const auto line = error_line(r.output);
      SCOPED_TRACE(c.name + " / " + in.kind + ": " + r.output.substr(0, 400));
      if (r.exit_code == 0 && !in.success.empty()) {
        table.push_back({c.name, in.kind, "exit 0: " + in.success});
        fs::remove(out);
        fs::remove(d.file("forecast.csv"));
        continue;
      }
      EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << "exit " << r.exit_code;
      EXPECT_NE(line.find(fs::path(in.path).filename().string()), std::string::npos) << "the reason names the file";
      EXPECT_EQ(r.output.find("terminate called"), std::string::npos);
      EXPECT_FALSE(unirep::testing::file_exists(out)) << "an output file was left";
      EXPECT_FALSE(unirep::testing::file_exists(d.file("forecast.csv")));
      std::string reason = line.substr(0, 160);
      const auto dir = d.path() + "/";
      for (size_t at; (at = reason.find(dir)) != std::string::npos;) reason.erase(at, dir.size());
      table.push_back({c.name, in.kind, "exit " + std::to_string(r.exit_code) + ": `" + reason + "`"});
    }

  if (const char* path = std::getenv("UNIREP_HOSTILE_TABLE")) {
    std::ofstream t(path);
    t << "| command | input | behaviour |\n|---|---|---|\n";
    for (const auto& row : table) t << "| " << row.command << " | " << row.input << " | " << row.outcome << " |\n";
  }
}

// A full disk while writing: the write fails with a reason, the previous output is untouched, and
// no temporary file is left beside it. (RLIMIT_FSIZE of 64 KB stands in for the full disk, with
// SIGXFSZ ignored so the write itself fails with EFBIG.)
TEST(HostileInputs, FullDiskKeepsThePreviousOutput) {
  unirep::testing::TempDir d;
  std::string ppm = "P6\n256 256\n255\n" + std::string(256 * 256 * 3, '\x40');
  unirep::testing::write_bytes(d.file("p.ppm"), ppm);
  unirep::testing::write_bytes(d.file("x.npy"), "previous contents");
  const std::string cmd = "ulimit -f 64; trap '' XFSZ; exec '" + std::string(UNIREP_CLI_PATH) + "' preprocess image '" +
                          d.file("p.ppm") + "' --output-npy '" + d.file("x.npy") + "' >'" + d.file("log") + "' 2>&1";
  const int status = std::system(("bash -c \"" + cmd + "\"").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  const auto log = unirep::testing::read_bytes(d.file("log"));
  EXPECT_EQ(WEXITSTATUS(status), 1) << log;
  EXPECT_NE(log.find("x.npy"), std::string::npos) << log;
  EXPECT_EQ(unirep::testing::read_bytes(d.file("x.npy")), "previous contents");
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(d.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 3u) << "a temporary file was left";
}

// SIGINT during training: exit 130, "resumable checkpoint", and the next run resumes from it.
TEST(HostileInputs, SigintDuringTrainingLeavesAResumableCheckpoint) {
  unirep::testing::TempDir d;
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("unused.safetensors"));
  unirep::io::write_npy(d.file("x.npy"), at::rand({64, 3, 32, 32}));
  unirep::io::write_npy(d.file("y.npy"), at::randint(0, 2, {64}, at::kLong));
  const std::vector<std::string> args = {
      "train",         "tensors", "--model",     d.file("tiny.json"), "--inputs", d.file("x.npy"), "--labels",
      d.file("y.npy"), "-o",      d.file("run"), "--epochs",          "100000",   "--batch-size",  "16",
      "--threads",     "1"};
  const int pid = unirep::testing::spawn_cli(args, {}, d.file("log1"));
  for (int i = 0; i < 600 && !unirep::testing::file_exists(d.file("run/checkpoint.pth")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(unirep::testing::file_exists(d.file("run/checkpoint.pth")))
      << unirep::testing::read_bytes(d.file("log1"));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  EXPECT_EQ(unirep::testing::wait_exit(pid, 60), 130) << unirep::testing::read_bytes(d.file("log1"));
  EXPECT_NE(unirep::testing::read_bytes(d.file("log1")).find("resumable checkpoint"), std::string::npos)
      << unirep::testing::read_bytes(d.file("log1"));

  const int again = unirep::testing::spawn_cli(args, {}, d.file("log2"));
  const auto log2 = [&] {
    return unirep::testing::file_exists(d.file("log2")) ? unirep::testing::read_bytes(d.file("log2")) : std::string();
  };
  for (int i = 0; i < 300 && log2().find("resumed from") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(again, SIGINT);
  EXPECT_EQ(unirep::testing::wait_exit(again, 60), 130);
  EXPECT_NE(log2().find("resumed from"), std::string::npos) << log2();
}
