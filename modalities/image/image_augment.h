#pragma once
// Training augmentation of the official image recipe (timm's create_transform as UniRepLKNet's
// main.py calls it, docs/images.md): random resized crop (bicubic), horizontal flip, RandAugment
// "rand-m9-mstd0.5-inc1"; and mixup / CutMix between two images with their soft targets.
// Every function takes the random generator, so a data set is reproducible for a seed.
#include "modalities/image/rgb_image.h"

#include <random>

namespace unirep::modalities {

struct ImageAugmentOptions {
  int size = 224;                            // output side
  double scale_min = 0.08, scale_max = 1.0;  // crop area as a fraction of the image
  double ratio_min = 3.0 / 4, ratio_max = 4.0 / 3;
  double hflip = 0.5;                  // probability of a left-right flip
  int randaug_ops = 2;                 // RandAugment: ops per image (0 = off)
  double randaug_magnitude = 9;        // of 10
  double randaug_magnitude_std = 0.5;  // magnitude drawn from N(m, std) per op, clipped to [0, 10]
};

struct CropBox {
  int left = 0, top = 0, width = 0, height = 0;
};

// The box RandomResizedCrop picks for a width x height image (see below); a clip's frames share one.
CropBox random_resized_crop_box(int width, int height, const ImageAugmentOptions& o, std::mt19937_64& rng);

// `box` cut out of `image`.
RgbImage crop_box(const RgbImage& image, const CropBox& box);

// torchvision's RandomResizedCrop: 10 tries for an area in [scale_min, scale_max] x area and a
// log-uniform aspect ratio that fit, else a centre crop at the nearest allowed ratio; the crop is
// resized to size x size with Pillow's bicubic.
RgbImage random_resized_crop(const RgbImage& image, const ImageAugmentOptions& o, std::mt19937_64& rng);

// timm's RandAugment with increasing-magnitude ops (inc1): `n` ops drawn from AutoContrast,
// Equalize, Invert, Rotate, Posterize, Solarize, SolarizeAdd, Color, Contrast, Brightness,
// Sharpness, ShearX/Y, TranslateX/Y, each applied with probability 0.5. Geometric ops fill with
// timm's mean colour (124, 116, 104) and sample bilinearly.
RgbImage rand_augment(const RgbImage& image, int n, double magnitude, double magnitude_std, std::mt19937_64& rng);

// Left-right mirror, in place.
void flip_left_right(RgbImage& image);

// Crop + flip + RandAugment, as above.
RgbImage augment_for_training(const RgbImage& image, const ImageAugmentOptions& o, std::mt19937_64& rng);

// lambda ~ Beta(alpha, alpha).
double sample_beta(double alpha, std::mt19937_64& rng);

// Mixup in place: a = lambda * a + (1 - lambda) * b (same sizes), rounded to 8 bits.
void mixup_into(RgbImage& a, const RgbImage& b, double lambda);

// CutMix in place: a box of area (1 - lambda) of the image, centred uniformly, clipped to the image,
// is copied from b. Returns the lambda that the clipped box really gives (1 - box area / image area).
double cutmix_into(RgbImage& a, const RgbImage& b, double lambda, std::mt19937_64& rng);

}  // namespace unirep::modalities
