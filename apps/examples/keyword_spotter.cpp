// keyword_spotter: which spoken keyword is in a recording, and when.
//
//   keyword_spotter keywords.safetensors clip.wav [more.wav ...]
//
// The model file comes from `unirep train audio` (scripts/demo makes one). Any audio format works;
// recordings longer than the model's 1.3 s window get a timeline of what was heard.
#include <unirep/unirep.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors AUDIO...\n", argv[0]);
    return 2;
  }
  try {
    const unirep::AudioClassifier spotter(argv[1]);
    int failed = 0;
    for (int i = 2; i < argc; ++i) {
      try {
        const auto result = spotter.classify_file(argv[i], 3);
        std::printf("%s (%.2f s)\n", argv[i], result.duration_s);
        for (const auto& s : result.top) std::printf("  %-8s %.3f\n", s.label.c_str(), s.score);
        if (result.segments.size() > 1)
          for (const auto& seg : result.segments)
            std::printf("  %6.2f-%6.2f s  %s (%.2f)\n", seg.start_s, seg.end_s, seg.label.c_str(), seg.score);
      } catch (const unirep::Error& e) {  // one bad file does not stop the others
        std::fprintf(stderr, "keyword_spotter: %s\n", e.what());
        ++failed;
      }
    }
    return failed ? 1 : 0;
  } catch (const unirep::Error& e) {
    std::fprintf(stderr, "keyword_spotter: %s (%s)\n", e.what(), unirep::status_name(e.code()));
    return 1;
  }
}
