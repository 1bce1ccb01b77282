// Writes valid files made by our own writers as seeds for the binary-format fuzz targets:
//   fuzz_seeds DIR   ->  DIR/fuzz_npy/*, DIR/fuzz_safetensors/*, DIR/fuzz_torch_checkpoint/*,
//                        DIR/fuzz_model_file/* (audio, image, point, video model files)
// (scripts/fuzz writes the text-format and image seeds itself).
#include "models/io/npy.h"
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"
#include <support/model_files.h>

#include <ATen/ATen.h>

#include <filesystem>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  namespace fs = std::filesystem;
  const fs::path dir(argv[1]);
  for (const char* t : {"fuzz_npy", "fuzz_safetensors", "fuzz_torch_checkpoint", "fuzz_model_file"})
    fs::create_directories(dir / t);
  using unirep::io::write_npy;
  write_npy((dir / "fuzz_npy" / "f32.npy").string(), at::arange(6, at::kFloat).reshape({2, 3}));
  write_npy((dir / "fuzz_npy" / "i64.npy").string(), at::arange(4, at::kLong));
  write_npy((dir / "fuzz_npy" / "scalar.npy").string(), at::scalar_tensor(1.5, at::kDouble));
  write_npy((dir / "fuzz_npy" / "u8.npy").string(), at::ones({2, 2, 2}, at::kByte));
  unirep::io::NamedTensors tensors;
  tensors.push_back({"stem.weight", at::randn({4, 3, 3, 3})});
  tensors.push_back({"stem.bias", at::zeros({4})});
  tensors.push_back({"steps", at::arange(3, at::kLong)});
  unirep::io::write_safetensors((dir / "fuzz_safetensors" / "a.safetensors").string(), tensors,
                                {{"unirep.kind", "seed"}});
  unirep::io::write_safetensors((dir / "fuzz_safetensors" / "empty.safetensors").string(), {});
  unirep::io::write_torch_checkpoint((dir / "fuzz_torch_checkpoint" / "a.pth").string(),
                                     unirep::io::state_dict_value(tensors));
  const auto m = dir / "fuzz_model_file";
  unirep::testing::write_audio_model((m / "audio.safetensors").string());
  unirep::testing::write_image_model((m / "image.safetensors").string());
  unirep::testing::write_point_model((m / "points.safetensors").string());
  unirep::testing::write_video_model((m / "video.safetensors").string());
  unirep::testing::write_mismatched_audio_model((m / "mismatch.safetensors").string());
  return 0;
}
