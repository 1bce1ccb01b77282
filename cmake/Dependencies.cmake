# Third-party dependencies, all from Debian 12 packages (see docs/dependencies.md for why each is here).

# LibTorch 1.13 (libtorch-dev): tensors, conv kernels, autograd for training.
find_package(Torch REQUIRED)

# nlohmann-json (nlohmann-json3-dev): model config files and the safetensors header.
find_package(nlohmann_json 3.10 REQUIRED)

# CLI11 (libcli11-dev): the unirep command line.
find_package(CLI11 REQUIRED)

find_package(Threads REQUIRED)

# One imported target carrying Torch's includes, libs and flags, so the rest of the tree just links it.
if(NOT TARGET unirep::torch)
  add_library(unirep_torch INTERFACE)
  target_link_libraries(unirep_torch INTERFACE ${TORCH_LIBRARIES})
  target_include_directories(unirep_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  separate_arguments(_unirep_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(unirep_torch INTERFACE ${_unirep_torch_flags})
  add_library(unirep::torch ALIAS unirep_torch)
endif()
