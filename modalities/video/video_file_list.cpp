#include "modalities/video/video_file_list.h"

namespace unirep::modalities {

ImageFileList list_video_dataset(const std::string& path) {
  return list_labelled_files(path, {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mpg", ".mpeg",
                                    ".ogv", ".wmv", ".gif", ".nut"});
}

}  // namespace unirep::modalities
