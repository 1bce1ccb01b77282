#pragma once
// Every task the SDK can train and evaluate, by name (docs/architecture.md, "Tasks").
#include "sdk/tasks/task_recipe.h"

#include <string>
#include <vector>

namespace unirep::sdk {

// tensors, audio, image, video, points, timeseries: in the order the CLI lists them.
const std::vector<const TaskRecipe*>& task_recipes();
// std::invalid_argument naming the task and listing the known ones when `name` is none of them.
const TaskRecipe& find_task_recipe(const std::string& name);
std::vector<std::string> task_names();

}  // namespace unirep::sdk
