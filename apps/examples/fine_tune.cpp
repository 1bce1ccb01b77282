// fine_tune: train a model on your own data from an app, with the SDK's training API.
//
//   fine_tune TASK DATA OUT_DIR [EPOCHS] [key=value ...]
//   fine_tune audio keywords/ run/ 5 model=a weights=pretrained.safetensors
//
// TASK is audio, image, video or points; DATA is a folder (e.g. the one `unirep data keywords`
// writes) or a CSV of path,label. Further options are those of `unirep train TASK` with the
// flag's dashes as underscores (batch_size=16, lr=0.001, augment=false); model defaults to "a".
// OUT_DIR receives the same files as `unirep train`: run it again to resume, and load
// OUT_DIR/best_deploy.safetensors with the classifiers (e.g. the keyword_spotter example).
#include <unirep/unirep.hpp>

#include <cstdio>
#include <map>
#include <string>

namespace {

bool show(const unirep::TrainingProgress& p) {
  using Event = unirep::TrainingProgress::Event;
  switch (p.event) {
    case Event::kStep:
      std::fprintf(stderr, "\repoch %lld/%lld  batch %lld/%lld  loss %.4f  %.1f samples/s", (long long)p.epoch,
                   (long long)p.epochs, (long long)p.batch, (long long)p.batches, p.loss, p.samples_per_second);
      break;
    case Event::kEpochEnd:
      std::fprintf(stderr, "\nepoch %lld:", (long long)p.epoch);
      for (const auto& [name, value] : p.metrics) std::fprintf(stderr, " %s %.4g", name.c_str(), value);
      std::fprintf(stderr, "\n");
      break;
    case Event::kTesting:
      break;
    default:
      std::fprintf(stderr, "%s\n", p.message.c_str());
  }
  return true;  // false would stop the run after this step, resumably
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s TASK DATA OUT_DIR [EPOCHS] [key=value ...]\n", argv[0]);
    return 2;
  }
  std::map<std::string, std::string> options = {{"data", argv[2]}, {"output_dir", argv[3]}, {"model", "a"}};
  int next = 4;
  if (argc > 4 && std::string(argv[4]).find('=') == std::string::npos) options["epochs"] = argv[next++];
  for (int i = next; i < argc; ++i) {
    const std::string kv = argv[i];
    const auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "fine_tune: '%s' is not key=value\n", argv[i]);
      return 2;
    }
    options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  try {
    const auto result = unirep::train(argv[1], options, show);
    if (result.stopped) {
      std::printf("stopped after %lld steps; run again to resume\n", (long long)result.steps);
      return 130;
    }
    for (const auto& [name, value] : result.test) std::printf("%s %.4g\n", name.c_str(), value);
    std::printf("model: %s\n", result.model_file.c_str());
    return 0;
  } catch (const unirep::Error& e) {
    std::fprintf(stderr, "fine_tune: %s (%s)\n", e.what(), unirep::status_name(e.code()));
    return 1;
  }
}
