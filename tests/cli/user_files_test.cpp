// Files the user owns, end to end through the CLI (docs/reliability.md, "Files the user owns"): an
// output that is a symbolic link, a FIFO, a character device or standard output; an existing
// file's mode; an output that is an input; several outputs, all or nothing; a run stopped by a
// signal while it writes. Also the strict numeric options and the one-line errors.
#include "models/io/npy.h"
#include <support/test_models.h>
#include <support/test_support.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
namespace fs = std::filesystem;

namespace {

const char* kNpyMagic = "\x93NUMPY";

std::string small_ply() {
  std::string ply =
      "ply\nformat ascii 1.0\nelement vertex 64\nproperty float x\nproperty float y\nproperty float z\nend_header\n";
  for (int i = 0; i < 64; ++i)
    ply += std::to_string(std::cos(i * 0.3)) + " " + std::to_string(std::sin(i * 0.7)) + " " +
           std::to_string(i * 0.01) + "\n";
  return ply;
}

// `unirep preprocess points PLY -o OUT`: a quick command with one output.
std::vector<std::string> preprocess_points(const std::string& ply, const std::string& out) {
  return {"preprocess", "points", ply, "--points", "16", "-o", out};
}

std::vector<std::string> temporary_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) found.push_back(e.path().string());
  return found;
}

std::string last_line(const std::string& s) {
  auto end = s.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  auto start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

class UserFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    ply = d.file("cloud.ply");
    unirep::testing::write_bytes(ply, small_ply());
  }
  unirep::testing::TempDir d;
  std::string ply;
};

}  // namespace

TEST_F(UserFiles, SymlinkOutputReplacesItsTargetAndStaysALink) {
  const auto target = d.file("real.npy"), link = d.file("link.npy");
  unirep::testing::write_bytes(target, "old");
  chmod(target.c_str(), 0640);
  fs::create_symlink("real.npy", link);
  const auto r = unirep::testing::run_cli_limited(preprocess_points(ply, link));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(link)) << "the link was replaced by a file";
  EXPECT_EQ(unirep::testing::read_bytes(target).substr(0, 6), kNpyMagic) << "the link's target was not written";
  struct stat st;
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u) << "the existing file's mode was lost";
  EXPECT_TRUE(temporary_files(d.path()).empty());
}

TEST_F(UserFiles, DanglingSymlinkOutputCreatesItsTarget) {
  fs::create_symlink("made.npy", d.file("dangling.npy"));
  const auto r = unirep::testing::run_cli_limited(preprocess_points(ply, d.file("dangling.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(d.file("dangling.npy")));
  EXPECT_EQ(unirep::testing::read_bytes(d.file("made.npy")).substr(0, 6), kNpyMagic);
}

TEST_F(UserFiles, FifoOutputIsWrittenInPlace) {
  const auto fifo = d.file("pipe.npy");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = unirep::testing::read_bytes(fifo); });
  const auto r = unirep::testing::run_cli_limited(preprocess_points(ply, fifo), {6ull << 30, 60});
  reader.join();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st;
  ASSERT_EQ(lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  EXPECT_EQ(received.substr(0, 6), kNpyMagic);
}

TEST_F(UserFiles, CharacterDeviceOutputIsNotReplaced) {
  const auto r = unirep::testing::run_cli_limited(preprocess_points(ply, "/dev/null"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st;
  ASSERT_EQ(lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "/dev/null is no longer a device";
}

TEST_F(UserFiles, DashIsStandardOutputWhereTheFormatAllowsIt) {
  const std::string cmd = std::string(UNIREP_CLI_PATH) + " preprocess points " + ply + " --points 16 -o - > " +
                          d.file("stdout.bin") + " 2> " + d.file("stderr.txt");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << unirep::testing::read_bytes(d.file("stderr.txt"));
  const auto x = unirep::io::read_npy(d.file("stdout.bin"));  // nothing but the .npy on stdout
  EXPECT_EQ(x.size(0), 16);
  EXPECT_NE(unirep::testing::read_bytes(d.file("stderr.txt")).find("16 x 3 points"), std::string::npos)
      << "messages go to stderr";
  EXPECT_FALSE(unirep::testing::file_exists(d.file("-")));
}

TEST_F(UserFiles, DashIsRefusedWhereTheFormatDependsOnTheName) {
  const auto json = d.file("tiny.json"), weights = d.file("tiny.safetensors");
  unirep::testing::write_video_backbone(json, weights);
  auto r = unirep::testing::run_cli_limited({"reparam", "--model", json, "--weights", weights, "-o", "-"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--output cannot be '-'"), std::string::npos) << r.output;
  r = unirep::testing::run_cli_limited(
      {"train", "tensors", "--model", json, "--inputs", weights, "--labels", weights, "-o", "-"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--output-dir names a folder"), std::string::npos) << r.output;
  EXPECT_FALSE(unirep::testing::file_exists("-"));
}

TEST_F(UserFiles, ReadOnlyOutputIsRefusedNotReplaced) {
  const auto out = d.file("keep.npy");
  unirep::testing::write_bytes(out, "precious");
  chmod(out.c_str(), 0444);
  const auto r = unirep::testing::run_cli_limited(preprocess_points(ply, out));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(last_line(r.output).find("read-only"), std::string::npos) << r.output;
  EXPECT_EQ(unirep::testing::read_bytes(out), "precious");
}

TEST_F(UserFiles, OutputThatIsAnInputIsRefusedBeforeAnyWork) {
  const auto before = unirep::testing::read_bytes(ply);
  fs::create_symlink(ply, d.file("alias.npy"));
  ASSERT_EQ(link(ply.c_str(), d.file("hard.npy").c_str()), 0);
  for (const auto& out : {ply, d.file("alias.npy"), d.file("hard.npy")}) {
    const auto r = unirep::testing::run_cli_limited(preprocess_points(ply, out));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    const auto line = last_line(r.output);
    EXPECT_NE(line.find("is the same file as file " + ply), std::string::npos) << line;
    EXPECT_NE(line.find("--output-npy " + out), std::string::npos) << line;
    EXPECT_EQ(unirep::testing::read_bytes(ply), before) << "the input was overwritten";
  }
  // reparam --weights m.safetensors -o m.safetensors
  const auto json = d.file("tiny.json"), weights = d.file("tiny.safetensors");
  unirep::testing::write_video_backbone(json, weights);
  const auto weights_before = unirep::testing::read_bytes(weights);
  const auto r = unirep::testing::run_cli_limited({"reparam", "--model", json, "--weights", weights, "-o", weights});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--output " + weights + " is the same file as --weights " + weights), std::string::npos)
      << r.output;
  EXPECT_EQ(unirep::testing::read_bytes(weights), weights_before);
}

TEST_F(UserFiles, SeveralOutputsAreAllOrNothing) {
  const auto json = d.file("tiny.json"), weights = d.file("tiny.safetensors");
  unirep::testing::write_video_backbone(json, weights);
  unirep::io::write_npy(d.file("x.npy"), at::rand({1, 3, 32, 32}));
  const auto prefix = d.file("y");
  unirep::testing::write_bytes(prefix + ".stage0.npy", "old 0");
  unirep::testing::write_bytes(prefix + ".stage1.npy", "old 1");
  fs::create_directory(prefix + ".stage2.npy");  // the third file cannot be written
  const auto r = unirep::testing::run_cli_limited({"infer", "--model", json, "--weights", weights, "--input-npy",
                                                   d.file("x.npy"), "--output", "features", "-o", prefix});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(last_line(r.output).find("y.stage2.npy: is a directory"), std::string::npos) << r.output;
  EXPECT_EQ(unirep::testing::read_bytes(prefix + ".stage0.npy"), "old 0");
  EXPECT_EQ(unirep::testing::read_bytes(prefix + ".stage1.npy"), "old 1");
  EXPECT_FALSE(unirep::testing::file_exists(prefix + ".stage3.npy"));
  EXPECT_TRUE(temporary_files(d.path()).empty());
  // Once the way is clear, all four appear.
  fs::remove(prefix + ".stage2.npy");
  const auto ok = unirep::testing::run_cli_limited({"infer", "--model", json, "--weights", weights, "--input-npy",
                                                    d.file("x.npy"), "--output", "features", "-o", prefix});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(unirep::io::read_npy(prefix + ".stage" + std::to_string(i) + ".npy").dim(), 4);
}

// SIGTERM while the output is being written (seen with inotify the moment its temporary file
// appears): exit 143, no temporary file, the old output untouched.
TEST_F(UserFiles, SignalWhileWritingLeavesNoTemporaryFile) {
  // A 2400 x 2400 image preprocessed at that size: a 69 MB .npy, long enough to be caught writing.
  const auto image = d.file("big.ppm"), out_dir = d.file("out"), out = d.file("out/big.npy");
  unirep::testing::write_bytes(image, "P6\n2400 2400\n255\n" + std::string(2400ull * 2400 * 3, '\x60'));
  fs::create_directory(out_dir);
  unirep::testing::write_bytes(out, "old output");
  const int watch = inotify_init1(IN_NONBLOCK);
  ASSERT_GE(watch, 0);
  ASSERT_GE(inotify_add_watch(watch, out_dir.c_str(), IN_CREATE), 0);
  const int pid = unirep::testing::spawn_cli(
      {"preprocess", "image", image, "--size", "2400", "--crop-pct", "1", "-o", out}, {}, d.file("log.txt"));
  bool caught = false;
  for (int waited = 0; waited < 60000 && !caught; ++waited) {
    alignas(inotify_event) char buf[4096];
    const ssize_t n = read(watch, buf, sizeof buf);
    for (ssize_t at = 0; n > 0 && at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      if (e->len > 0 && std::string(e->name).find(".tmp-") != std::string::npos) caught = true;
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
    if (caught)
      kill(pid, SIGTERM);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  close(watch);
  const int code = unirep::testing::wait_exit(pid, 60);
  ASSERT_TRUE(caught) << unirep::testing::read_bytes(d.file("log.txt"));
  if (code == 0) GTEST_SKIP() << "the write finished before the signal arrived";
  EXPECT_EQ(code, 128 + SIGTERM) << unirep::testing::read_bytes(d.file("log.txt"));
  EXPECT_TRUE(temporary_files(out_dir).empty()) << "a temporary file was left behind";
  EXPECT_EQ(unirep::testing::read_bytes(out), "old output");
}

TEST(StrictOptions, NumbersAreFiniteInRangeAndIntegralWhereTheyMustBe) {
  unirep::testing::TempDir d;
  const auto model = d.file("audio.safetensors"), clip = d.file("clip.wav");
  unirep::testing::write_audio_model(model);
  unirep::testing::write_bytes(clip, "RIFF");
  const std::string digits309 = "1" + std::string(308, '0');
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"classify-audio", clip, "--model-file", model, "--hop", "nan"}, "--hop"},
      {{"classify-audio", clip, "--model-file", model, "--hop", "1e30"}, "--hop"},
      {{"classify-audio", clip, "--model-file", model, "--hop", "inf"}, "--hop"},
      {{"classify-audio", clip, "--model-file", model, "--threads", "10000"}, "--threads"},
      {{"classify-points", clip, "--model-file", model, "--threads", "-1"}, "--threads"},
      {{"classify-audio", clip, "--model-file", model, "--top-k", "1.5"}, "--top-k"},
      {{"classify-audio", clip, "--model-file", model, "--top-k", digits309}, "--top-k"},
      {{"classify-audio", clip, "--model-file", model, "--hop", digits309}, "--hop"},
      {{"train", "tensors", "--model", "a", "--inputs", clip, "--labels", clip, "-o", d.file("run"), "--lr", "nan"},
       "--lr"},
      {{"train", "tensors", "--model", "a", "--inputs", clip, "--labels", clip, "-o", d.file("run"), "--epochs", "-3"},
       "--epochs"},
  };
  for (const auto& [args, option] : cases) {
    const auto r = unirep::testing::run_cli_limited(args, {6ull << 30, 30});
    SCOPED_TRACE(args[args.size() - 2] + " " + args.back().substr(0, 20));
    EXPECT_FALSE(r.timed_out) << "hung";
    EXPECT_EQ(r.exit_code, 2) << r.output;
    const auto first = r.output.substr(0, r.output.find('\n'));
    EXPECT_EQ(first.rfind(option + ":", 0), 0u) << "names the option: " << first;
    EXPECT_LT(first.size(), 500u);
  }
  EXPECT_FALSE(unirep::testing::file_exists(d.file("run")));
}

TEST(ClearErrors, OneLineNamingTheProblemForLinksAndLongNames) {
  unirep::testing::TempDir d;
  fs::create_symlink("loop.ply", d.file("loop.ply"));
  auto r = unirep::testing::run_cli_limited({"preprocess", "points", d.file("loop.ply"), "-o", d.file("out.npy")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("loop.ply: a loop of symbolic links"), std::string::npos) << r.output;
  fs::create_symlink("gone.ply", d.file("dangling.ply"));
  r = unirep::testing::run_cli_limited({"preprocess", "points", d.file("dangling.ply"), "-o", d.file("out.npy")});
  EXPECT_NE(r.output.find("dangling.ply: a symbolic link to a missing file"), std::string::npos) << r.output;
  // A name of 100 000 bytes with control characters: one escaped line under 500 characters.
  const std::string name = d.file("\n\x1b[31m" + std::string(200, 'n'));
  r = unirep::testing::run_cli_limited(
      {"preprocess", "points", name + std::string(100000, 'x'), "-o", d.file("out.npy")});
  EXPECT_EQ(r.exit_code, 2);
  const auto first = r.output.substr(0, r.output.find('\n'));
  EXPECT_LT(first.size(), 500u) << first.substr(0, 600);
  EXPECT_NE(first.find("\\x0A\\x1B[31m"), std::string::npos) << first.substr(0, 600);
}

TEST(TextAndTime, NonUtf8FileNamesKeepJsonValid) {
  unirep::testing::TempDir d;
  const auto model = d.file("points.safetensors");
  unirep::testing::write_point_model(model);
  const auto cloud = d.file("caf\xe9.ply");
  unirep::testing::write_bytes(cloud, small_ply());
  const auto r = unirep::testing::run_cli_limited({"classify-points", cloud, "--model-file", model, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto line = r.output.substr(r.output.find('{'));
  const auto j = nlohmann::json::parse(line.substr(0, line.find('\n')));
  EXPECT_NE(j.at("file").get<std::string>().find("caf\\xE9.ply"), std::string::npos);
}

TEST_F(UserFiles, DashIsStandardInputForPointsAndImages) {
  auto r = unirep::testing::run_cli_limited(
      {"preprocess", "points", "-", "--points", "16", "-o", d.file("from_stdin.npy")}, {6ull << 30, 60, small_ply()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(unirep::io::read_npy(d.file("from_stdin.npy")).size(0), 16);
  r = unirep::testing::run_cli_limited({"preprocess", "audio", "-", "-o", d.file("audio.npy")},
                                       {6ull << 30, 60, "RIFF"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(last_line(r.output).find("'-' (standard input) is read for points and images"), std::string::npos)
      << r.output;
}

// forecast predict -o F.csv --plot P.png: when the plot cannot be written, the CSV is not replaced.
TEST_F(UserFiles, ForecastAndPlotAreAllOrNothing) {
  std::ofstream(d.file("series.csv")) << unirep::testing::sinusoid_csv(200);
  unirep::testing::write_forecaster(d.file("series.csv"), d.file("model.safetensors"));
  unirep::testing::write_bytes(d.file("forecast.csv"), "old forecast");
  fs::create_directory(d.file("plot.png"));
  const std::vector<std::string> args = {"forecast", "predict",
                                         "--csv",    d.file("series.csv"),
                                         "--model",  d.file("model.safetensors"),
                                         "-o",       d.file("forecast.csv"),
                                         "--plot",   d.file("plot.png")};
  auto r = unirep::testing::run_cli_limited(args);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(last_line(r.output).find("plot.png: is a directory"), std::string::npos) << r.output;
  EXPECT_EQ(unirep::testing::read_bytes(d.file("forecast.csv")), "old forecast");
  EXPECT_TRUE(temporary_files(d.path()).empty());
  fs::remove(d.file("plot.png"));
  r = unirep::testing::run_cli_limited(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(unirep::testing::read_bytes(d.file("forecast.csv")), "old forecast");
  EXPECT_EQ(unirep::testing::read_bytes(d.file("plot.png")).substr(1, 3), "PNG");
}

// A NUL or a control byte in what a message quotes from a file is escaped: the line is not cut
// short at the NUL, and it stays one line.
TEST(ClearErrors, NulInAQuotedTokenDoesNotCutTheMessage) {
  unirep::testing::TempDir d;
  const std::string off =
      std::string("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 ") + std::string("\0zz\x1b[31m", 8) + "\n3 0 1 2\n";
  unirep::testing::write_bytes(d.file("nul.off"), off);
  const auto r = unirep::testing::run_cli_limited({"preprocess", "points", d.file("nul.off"), "-o", d.file("out.npy")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto line = last_line(r.output);
  EXPECT_NE(line.find("nul.off:5: '\\x00zz\\x1B[31m' is not a number"), std::string::npos) << line;
  EXPECT_FALSE(unirep::testing::file_exists(d.file("out.npy")));
}

// A fresh training run into a folder that holds an earlier run: a run that fails leaves every
// earlier file as it was and nothing of its own; a run that completes replaces them, with a
// metrics.jsonl of its own.
TEST_F(UserFiles, AFailedFreshRunPutsTheEarlierRunBack) {
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("unused.safetensors"));
  unirep::io::write_npy(d.file("x.npy"), at::rand({32, 3, 32, 32}));
  unirep::io::write_npy(d.file("y.npy"), at::randint(0, 2, {32}, at::kLong));
  const auto train = [&](const std::string& lr) {
    return unirep::testing::run_cli_limited(
        {"train", "tensors", "--model", d.file("tiny.json"), "--inputs", d.file("x.npy"), "--labels", d.file("y.npy"),
         "-o", d.file("run"), "--epochs", "2", "--batch-size", "16", "--threads", "1", "--lr", lr, "--no-resume"});
  };
  ASSERT_EQ(train("1e-3").exit_code, 0);
  std::map<std::string, std::string> earlier;
  for (const char* f : {"checkpoint.pth", "best_deploy.safetensors", "metrics.jsonl", "run_config.json"})
    earlier[f] = unirep::testing::read_bytes(d.file("run/") + f);
  const auto failed = train("1e6");  // diverges in its first epoch
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("the earlier run's files are back as they were"), std::string::npos) << failed.output;
  for (const auto& [f, bytes] : earlier) EXPECT_EQ(unirep::testing::read_bytes(d.file("run/" + f)), bytes) << f;
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.file("run"))) ++files;
  EXPECT_EQ(files, earlier.size()) << "a hidden copy or a file of the failed run was left";
  const auto ok = train("2e-3");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(unirep::testing::read_bytes(d.file("run/best_deploy.safetensors")), earlier["best_deploy.safetensors"]);
  const auto metrics = unirep::testing::read_bytes(d.file("run/metrics.jsonl"));
  EXPECT_EQ(std::count(metrics.begin(), metrics.end(), '\n'), 2) << "the new run's two epochs only:\n" << metrics;
}

// The CLI names its own flag where the SDK names TrainOptions::resume (docs/reliability.md, Clear errors).
TEST_F(UserFiles, AStaleCheckpointNamesTheFlagThatStartsOver) {
  unirep::testing::write_video_backbone(d.file("tiny.json"), d.file("unused.safetensors"));
  unirep::io::write_npy(d.file("x.npy"), at::rand({16, 3, 32, 32}));
  unirep::io::write_npy(d.file("y.npy"), at::randint(0, 2, {16}, at::kLong));
  fs::create_directory(d.file("run"));
  unirep::testing::write_bytes(d.file("run/checkpoint.pth"), "not a checkpoint");
  const auto r = unirep::testing::run_cli_limited({"train", "tensors", "--model", d.file("tiny.json"), "--inputs",
                                                   d.file("x.npy"), "--labels", d.file("y.npy"), "-o", d.file("run"),
                                                   "--epochs", "1", "--batch-size", "8", "--threads", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto line = last_line(r.output);
  EXPECT_NE(line.find("cannot resume from " + d.file("run/checkpoint.pth")), std::string::npos) << line;
  EXPECT_NE(line.find("start over with --no-resume."), std::string::npos) << line;
  EXPECT_EQ(line.find("TrainOptions"), std::string::npos) << line;
  EXPECT_EQ(unirep::testing::read_bytes(d.file("run/checkpoint.pth")), "not a checkpoint");
}
