// unirep preprocess audio|image|video|points FILE --output-npy OUT.npy: what a model's input is, as
// a tensor (the backbone input or raw fbank of an audio file; the 3 x S x S input of an image after
// the official evaluation transform; the 3 x 4S x 4S validation view of a video; the sampled,
// normalized points of a cloud).
#include "input_options.h"
#include "commands.h"
#include "output_options.h"

#include "models/io/npy.h"
#include "modalities/audio/audio_input.h"
#include "modalities/image/image_transform.h"
#include "modalities/points/point_input.h"
#include "modalities/video/video_transform.h"
#include "sdk/audio/audio_classifier.h"
#include "sdk/audio/audio_dataset.h"

#include <cstdio>

namespace unirep::cli {

Command add_preprocess(CLI::App& app) {
  struct Args {
    std::string modality = "audio", input, output, model_file;
    bool raw = false;
    int target_frames = 128;
    modalities::PointInputOptions points;
    modalities::ImageTransformOptions image;
    modalities::ImageDecodeOptions decode;
    modalities::VideoTransformOptions video;
    int view = 0;
  };
  auto a = std::make_shared<Args>();
  app.add_option("modality", a->modality, "What to preprocess: audio | image | video | points")
      ->required()
      ->check(CLI::IsMember({"audio", "image", "video", "points"}));
  app.add_option("file", a->input,
                 "Input file (audio: any format and rate; image: JPEG, PNG, BMP, WebP, TIFF, ...; video: any container "
                 "FFmpeg reads; points: OFF, PLY, OBJ, PCD, XYZ/TXT/CSV)")
      ->required()
      ->check(existing_input(/*standard_input=*/true));
  app.add_option("--points", a->points.points, "points: N after farthest point sampling (default 4096)")
      ->check(CLI::PositiveNumber);
  app.add_option("--surface-points", a->points.surface_points,
                 "points: meshes are sampled on the surface first (default 8192)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--modelnet-axes", a->points.modelnet_axes,
               "points: ModelNet's axis convention (x, y, z) <- (-z, -x, y)");
  app.add_option("--size", a->image.size,
                 "image, video: input side (default 224; images of 384 and above warp instead of crop)")
      ->check(CLI::PositiveNumber);
  app.add_option("--frames", a->video.sampling.clip_len, "video: frames per clip (default 16)")
      ->check(CLI::PositiveNumber);
  app.add_option("--sampling-rate", a->video.sampling.sampling_rate, "video: window of frames x rate (default 4)")
      ->check(CLI::PositiveNumber);
  app.add_option("--view", a->view,
                 "video: 0 = the validation view (default); 1..15 = that test view (5 temporal x 3 spatial)")
      ->check(CLI::Range(0, 15));
  app.add_option("--crop-pct", a->image.crop_pct,
                 "image: short side resized to size / crop_pct before the crop (default 0.875)")
      ->check(CLI::Range(0.05, 1.0));
  app.add_flag("--exif-rotate", a->decode.exif_rotate,
               "image: honour EXIF orientation (the official pipeline ignores it)");
  output_option(app.add_option("--output-npy,-o", a->output, "Output .npy (- for standard output)")->required());
  app.add_flag("--raw-fbank", a->raw, "Write the frames x 128 log-mel before padding and normalization");
  app.add_option("--target-frames", a->target_frames, "Frames of the backbone input (default 128)")
      ->check(CLI::PositiveNumber);
  app.add_option("--model-file", a->model_file, "Use the preprocessing stored with this audio model")
      ->check(existing_input());
  return [a]() {
    if (a->input == "-" && (a->modality == "audio" || a->modality == "video"))
      throw std::invalid_argument("file: '-' (standard input) is read for points and images; give " + a->modality +
                                  " as a file");
    if (a->modality == "video") {
      a->video.size = a->image.size;
      modalities::VideoReader reader(a->input);
      auto x = a->view == 0 ? modalities::validation_view(reader, a->video)
                            : modalities::test_views(reader, a->video)[a->view - 1].contiguous();
      io::write_npy(a->output, x);
      std::printf("%s: %lld frames; 3 x %lld x %lld written to %s\n", a->input.c_str(), (long long)reader.info().frames,
                  (long long)x.size(1), (long long)x.size(2), a->output.c_str());
      return 0;
    }
    if (a->modality == "image") {
      auto x = modalities::load_image_input(a->input, a->image, a->decode);
      io::write_npy(a->output, x);
      std::printf("%s: 3 x %lld x %lld written to %s\n", a->input.c_str(), (long long)x.size(1), (long long)x.size(2),
                  a->output.c_str());
      return 0;
    }
    if (a->modality == "points") {
      auto pts = modalities::load_point_input(a->input, a->points);
      io::write_npy(a->output, pts);
      std::printf("%s: %lld x 3 points written to %s\n", a->input.c_str(), (long long)pts.size(0), a->output.c_str());
      return 0;
    }
    modalities::AudioInputOptions o;
    if (!a->model_file.empty())
      o = sdk::AudioClassifier::load(a->model_file).spec().input;
    else
      o.target_frames = a->target_frames;
    const auto samples = sdk::load_waveform(a->input, o.sample_rate);
    auto out = a->raw ? modalities::waveform_to_fbank(samples, o) : modalities::waveform_to_input(samples, o);
    io::write_npy(a->output, out.contiguous());
    std::printf("%s: %lld x %lld x ... written to %s\n", a->input.c_str(), (long long)out.size(0),
                (long long)out.size(1), a->output.c_str());
    return 0;
  };
}

}  // namespace unirep::cli
