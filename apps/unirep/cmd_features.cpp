// unirep features IMAGE --model M --weights W --output-npy PREFIX [--dense 1333x800 | --size 224]
// Writes PREFIX.stage0.npy .. PREFIX.stage3.npy: the four stage maps (1 x C x H x W each, after
// norm0..norm3 when the weights have them) for detection and segmentation users.
#include "input_options.h"
#include "commands.h"
#include "finite_output.h"
#include "model_options.h"
#include "output_options.h"

#include "models/io/npy.h"
#include "models/io/output_transaction.h"
#include "sdk/image/image_features.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

namespace unirep::cli {

Command add_features(CLI::App& app) {
  struct Args {
    ModelOptions model;
    std::string image, output, dense;
    modalities::ImageTransformOptions transform;
    modalities::ImageDecodeOptions decode;
  };
  auto a = std::make_shared<Args>();
  app.add_option("image", a->image, "An image (JPEG, PNG, ...)")->required()->check(existing_input());
  a->model.add_to(app, /*weights_required=*/true);
  output_option(
      app.add_option("--output-npy,-o", a->output, "Output prefix: PREFIX.stage0.npy .. PREFIX.stage3.npy")->required(),
      {true, stage_files});
  app.add_option("--dense", a->dense,
                 "Dense-task input: resize keeping the aspect ratio to fit LONGxSHORT (e.g. 1333x800), pad to 32");
  app.add_option("--size", a->transform.size, "Otherwise the classification transform at this size (default 224)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--exif-rotate", a->decode.exif_rotate, "Honour EXIF orientation");
  return [a]() {
    a->model.finalize();
    sdk::DenseTransformOptions dense;
    if (!a->dense.empty()) {
      char x = 0;
      std::istringstream in(a->dense);
      if (!(in >> dense.long_edge >> x >> dense.short_edge) || x != 'x' || dense.long_edge <= 0 ||
          dense.short_edge <= 0 || !in.eof())
        throw std::invalid_argument("--dense wants LONGxSHORT, e.g. 1333x800, got '" + a->dense + "'");
    }
    sdk::ImageFeatureExtractor extractor(a->model.spec);
    for (const auto& n : extractor.notes()) std::fprintf(stderr, "note: %s\n", n.c_str());
    const auto x = sdk::ImageFeatureExtractor::preprocess(a->image, a->transform, dense, a->decode);
    const auto maps = extractor.features(x.unsqueeze(0));
    const auto written = stage_files(a->output);
    for (size_t i = 0; i < written.size(); ++i) require_finite_output(maps[i], written[i]);
    io::OutputTransaction outputs;  // all four or none; earlier files stay on failure
    for (size_t i = 0; i < written.size(); ++i) io::write_npy(written[i], maps[i].contiguous());
    outputs.commit();
    std::printf("%s: input 3 x %lld x %lld\n", a->image.c_str(), (long long)x.size(1), (long long)x.size(2));
    for (int i = 0; i < 4; ++i) {
      std::ostringstream s;
      s << maps[static_cast<size_t>(i)].sizes();
      std::printf("  %s %s%s\n", written[static_cast<size_t>(i)].c_str(), s.str().c_str(),
                  extractor.normalized_stages() ? " (after norm)" : "");
    }
    return 0;
  };
}

}  // namespace unirep::cli
