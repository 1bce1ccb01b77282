#include "sdk/tasks/task_registry.h"

#include <stdexcept>

namespace unirep::sdk {

// Each recipe lives with its modality (sdk/<modality>/<modality>_recipe.cpp); adding a task is
// one recipe and one line here.
const TaskRecipe& tensor_recipe();
const TaskRecipe& audio_recipe();
const TaskRecipe& image_recipe();
const TaskRecipe& video_recipe();
const TaskRecipe& point_recipe();
const TaskRecipe& forecast_recipe();

const std::vector<const TaskRecipe*>& task_recipes() {
  static const std::vector<const TaskRecipe*> all = {&tensor_recipe(), &audio_recipe(), &image_recipe(),
                                                     &video_recipe(),  &point_recipe(), &forecast_recipe()};
  return all;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto* r : task_recipes()) names.push_back(r->name());
  return names;
}

const TaskRecipe& find_task_recipe(const std::string& name) {
  for (const auto* r : task_recipes())
    if (r->name() == name) return *r;
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("no task '" + name.substr(0, 80) + "' (tasks: " + known + ")");
}

}  // namespace unirep::sdk
