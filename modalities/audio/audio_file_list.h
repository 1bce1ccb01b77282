#pragma once
// Where labelled audio clips are and which split each belongs to. Two layouts:
//
//  * A folder per class (the Speech Commands layout): DIR/<label>/<clip>. Hidden folders ('.') and
//    _background_noise_ are not classes; _unknown_ and _silence_ are. When DIR/validation_list.txt and
//    DIR/testing_list.txt exist, the clips they name (paths relative to DIR, one per line) form the
//    validation and test splits and every other clip is training data, as the official recipe does.
//  * A CSV of `path,label` rows (paths relative to the CSV's folder unless absolute; an optional
//    header row `path,label`; several labels of one clip separated by ';' for multi-label data).
//
// Labels are sorted by name (folders) or kept in order of first appearance (CSV) unless the
// caller fixes the label list (e.g. the one stored with a trained model).
#include <string>
#include <vector>

namespace unirep::modalities {

struct AudioItem {
  std::string path;
  std::vector<int> labels;  // indices into AudioFileList::labels; one for single-label data
};

struct AudioFileList {
  std::vector<std::string> labels;
  std::vector<AudioItem> train, validation, test;
  bool multi_label = false;  // some clip has more than one label
};

// Extensions taken as audio when scanning folders (content decides the decoder later).
bool looks_like_audio_file(const std::string& path);

// `fixed_labels` non-empty: use exactly these (a folder or CSV label outside them is an error).
AudioFileList list_class_folders(const std::string& dir, const std::vector<std::string>& fixed_labels = {});
AudioFileList read_label_csv(const std::string& csv_path, const std::vector<std::string>& fixed_labels = {});

// A folder, or a .csv file: whichever `path` is.
AudioFileList list_audio_dataset(const std::string& path, const std::vector<std::string>& fixed_labels = {});

// The speaker of a clip named as Speech Commands names them, `<speaker>_nohash_<n>.wav`: the file
// name up to "_nohash_" ("yes/0a7c2a8d_nohash_0.wav" -> "0a7c2a8d"); "" when the name does not
// follow the convention. Speech Commands splits by this id, so accuracy per speaker is per voice.
std::string speech_commands_speaker(const std::string& path);

}  // namespace unirep::modalities
