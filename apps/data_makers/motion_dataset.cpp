#include "motion_dataset.h"

#include "staging_folder.h"
#include "subprocess.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace unirep::data_makers {
namespace {
namespace fs = std::filesystem;

struct Container {
  const char* ext;
  std::vector<std::string> codec_args;
};

const Container kContainers[] = {
    {"mp4", {"-c:v", "libx264", "-preset", "veryfast", "-crf", "20"}},
    {"mkv", {"-c:v", "libx264", "-preset", "veryfast", "-crf", "22"}},
    {"avi", {"-c:v", "mpeg4", "-q:v", "3"}},
    // A negative cpu-used fixes libvpx's speed; a positive one in realtime mode lets it pick the speed
    // from how long each frame took, so the bytes would follow the machine's load, not the seed.
    {"webm", {"-c:v", "libvpx", "-b:v", "600k", "-deadline", "realtime", "-cpu-used", "-8"}},
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Smooth colour waves (one sine per channel over x and y) from `rng` alone. FFmpeg's own
// `gradients` source is not reproducible: it gives other pixels on every run, seed or not.
std::string smooth_colours(std::mt19937_64& rng, const std::string& size, int fps) {
  std::uniform_real_distribution<double> slope(-0.04, 0.04), phase(0.0, 6.2832);
  std::string src = "nullsrc=s=" + size + ":rate=" + std::to_string(fps) + ",format=gbrp,geq=";
  const char* separator = "";
  for (const char* channel : {"r", "g", "b"}) {
    // Drawn one by one: the order of the draws, and so the data set, must not depend on the compiler.
    const double sx = slope(rng), sy = slope(rng), p = phase(rng);
    src += std::string(separator) + channel + "='128+127*sin(" + fmt("%.4f", sx) + "*X+(" + fmt("%.4f", sy) + ")*Y+" +
           fmt("%.3f", p) + ")'";
    separator = ":";
  }
  return src;
}

// One still frame of a random texture, looped to `frames` frames at `fps`.
std::string texture(std::mt19937_64& rng, int w, int h, int fps, int frames) {
  std::uniform_int_distribution<int> pick(0, 5);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const std::string size = std::to_string(w) + "x" + std::to_string(h), rate = ":rate=" + std::to_string(fps);
  std::string src;
  switch (pick(rng)) {
    case 0:
      src = "cellauto=s=" + size + ":rule=" + std::to_string(std::uniform_int_distribution<int>(18, 150)(rng)) +
            ":random_fill_ratio=" + fmt("%.2f", 0.3 + 0.4 * U(rng)) + ":seed=" + std::to_string(rng() % 100000) +
            ":start_full=1" + rate;
      break;
    case 1:
      src = "mandelbrot=s=" + size + ":start_x=" + fmt("%.3f", -1.2 + 0.9 * U(rng)) +
            ":start_y=" + fmt("%.3f", -0.4 + 0.8 * U(rng)) + ":start_scale=" + fmt("%.3f", 0.3 + 1.5 * U(rng)) + rate;
      break;
    case 2:
      src = smooth_colours(rng, size, fps);
      break;
    case 3:
      src = "testsrc=s=" + size + rate;
      break;
    case 4:
      src = "smptehdbars=s=" + size + rate;
      break;
    default:
      src = "rgbtestsrc=s=" + size + rate;
      break;
  }
  return src + ",trim=end_frame=1,loop=loop=" + std::to_string(frames - 1) + ":size=1,setpts=N/" + std::to_string(fps) +
         "/TB,hue=h=" + fmt("%.0f", 360 * U(rng)) + ":s=" + fmt("%.2f", 0.6 + 0.8 * U(rng));
}

// The filter that makes class `c`'s motion, at a random speed.
std::string motion(size_t c, std::mt19937_64& rng, int w, int h, int fps) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const double pan = 0.006 + 0.01 * U(rng);               // of the frame per frame
  const double spin = (0.4 + 0.6 * U(rng)) * 30.0 / fps;  // radians per second, scaled to ~per-frame steps
  const double zoom = 0.005 + 0.004 * U(rng);             // per frame
  const std::string zp = ":d=1:s=" + std::to_string(w) + "x" + std::to_string(h) + ":fps=" + std::to_string(fps) +
                         ":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'";
  switch (c) {
    case 0:
      return "scroll=horizontal=" + fmt("%.4f", pan);  // pan_left: content moves left
    case 1:
      return "scroll=horizontal=" + fmt("%.4f", -pan);  // pan_right
    case 2:
      return "scroll=vertical=" + fmt("%.4f", pan);  // pan_up
    case 3:
      return "scroll=vertical=" + fmt("%.4f", -pan);  // pan_down
    case 4:
      return "rotate=a=" + fmt("%.3f", spin) + "*t:fillcolor=gray";  // rotate_cw (image y points down)
    case 5:
      return "rotate=a=-" + fmt("%.3f", spin) + "*t:fillcolor=gray";  // rotate_ccw
    case 6:
      return "zoompan=z='1+" + fmt("%.4f", zoom) + "*on'" + zp;  // zoom_in
    case 7:
      return "zoompan=z='1.7-" + fmt("%.4f", zoom) + "*on'" + zp;  // zoom_out
    default:
      return "null";  // still
  }
}

}  // namespace

const std::vector<std::string>& motion_classes() {
  static const std::vector<std::string> names = {"pan_left",   "pan_right", "pan_up",   "pan_down", "rotate_cw",
                                                 "rotate_ccw", "zoom_in",   "zoom_out", "still"};
  return names;
}

MotionDataSummary generate_motion_dataset(const MotionDataOptions& o,
                                          const std::function<void(size_t, size_t)>& progress) {
  if (o.out_dir.empty()) throw std::invalid_argument("motions needs an output folder");
  if (!on_path("ffmpeg")) throw std::runtime_error("the ffmpeg program is not installed (apt-get install ffmpeg)");
  const size_t K = motion_classes().size();
  const size_t per_class = static_cast<size_t>(std::max(2, o.clips_per_class));
  const size_t test_per_class = std::max<size_t>(1, static_cast<size_t>(per_class * o.test_fraction + 0.5));
  MotionDataSummary summary{K * (per_class - test_per_class), K * test_per_class, false};
  const fs::path out(o.out_dir);
  std::error_code ec;
  if (fs::exists(out / "train") && fs::exists(out / "test")) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(out)) n += e.is_regular_file();
    if (n == summary.train + summary.test) {
      summary.reused = true;
      return summary;
    }
  }
  if (fs::exists(out) && !fs::is_empty(out, ec))
    throw std::runtime_error(o.out_dir + ": exists and holds something else; choose an empty or new folder");
  // Built beside OUT and renamed onto it when complete (staging_folder.h).
  StagingFolder staging(o.out_dir, WhenDestinationHoldsFiles::refuse);
  const fs::path& partial = staging.path();
  for (const char* split : {"train", "test"})
    for (const auto& c : motion_classes()) fs::create_directories(partial / split / c);

  const size_t total = K * per_class;
  std::atomic<size_t> next{0}, done{0};
  std::mutex mu;
  std::string error;
  auto worker = [&]() {
    for (size_t i; (i = next++) < total;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!error.empty()) return;
      }
      const size_t cls = i % K, take = i / K;
      std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + i * 7919 + 5);
      const bool portrait = rng() % 4 == 0;
      const int w = portrait ? 96 : 128, h = portrait ? 128 : 96;
      const int fps = std::vector<int>{24, 25, 30}[rng() % 3];
      const int frames = 72 + static_cast<int>(rng() % 25);
      const Container& box = kContainers[rng() % 10 < 8 ? rng() % 3 : 3];  // VP8 (slow to encode) for about 1 in 5
      const std::string graph = texture(rng, w, h, fps, frames) + "," + motion(cls, rng, w, h, fps) +
                                ",noise=alls=6:allf=t:all_seed=" + std::to_string(rng() % 1000000) + ",format=yuv420p";
      const bool test = take < test_per_class;
      char name[32];
      std::snprintf(name, sizeof name, "%04zu.%s", take, box.ext);
      const std::string file = (partial / (test ? "test" : "train") / motion_classes()[cls] / name).string();
      // bitexact: no random track ids or encoder versions in the files, so a seed gives the same bytes.
      std::vector<std::string> args = {"ffmpeg",
                                       "-nostdin",
                                       "-loglevel",
                                       "error",
                                       "-y",
                                       "-threads",
                                       "1",
                                       "-filter_complex",
                                       graph,
                                       "-frames:v",
                                       std::to_string(frames),
                                       "-r",
                                       std::to_string(fps),
                                       "-fflags",
                                       "+bitexact",
                                       "-flags:v",
                                       "+bitexact"};
      args.insert(args.end(), box.codec_args.begin(), box.codec_args.end());
      args.push_back(file);
      if (run(args) != 0 || !fs::exists(file)) {
        std::lock_guard<std::mutex> lock(mu);
        if (error.empty()) error = file + ": ffmpeg failed on the filter graph '" + graph + "'";
        return;
      }
      const size_t d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(mu);
        progress(d, total);
      }
    }
  };
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (!error.empty()) throw std::runtime_error(error);
  staging.commit();
  return summary;
}

}  // namespace unirep::data_makers
