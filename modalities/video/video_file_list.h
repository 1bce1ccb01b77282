#pragma once
// Labelled video datasets in the image layouts (image_file_list.h): DIR/train/<class>/*,
// DIR/val/<class>/*, DIR/test/<class>/*, or class folders, or a CSV of path,label. Video files are
// recognized by extension (mp4, m4v, mov, mkv, webm, avi, flv, ts, mpg, mpeg, ogv, wmv, gif, nut).
#include "modalities/image/image_file_list.h"

#include <string>

namespace unirep::modalities {

ImageFileList list_video_dataset(const std::string& path);

}  // namespace unirep::modalities
