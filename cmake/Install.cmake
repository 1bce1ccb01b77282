# `cmake --install`: the shared library (with its SONAME), the API headers, the CLI, and the files
# other builds find it by: unirepConfig.cmake (+ version and targets) for find_package(unirep) and
# unirep.pc for pkg-config. Every path in them is relative to the install prefix, so the installed
# tree can be moved anywhere.
include(CMakePackageConfigHelpers)

install(TARGETS unirep_shared EXPORT unirepTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET unirep)
  install(TARGETS unirep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()

# Only the app-facing headers: the internal ones (beside their sources in models/, modalities/, sdk/) need
# LibTorch and are not part of the stable API.
install(FILES include/unirep/unirep.h include/unirep/unirep.hpp ${PROJECT_BINARY_DIR}/include/unirep/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/unirep COMPONENT development)
install(DIRECTORY include/unirep/api DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/unirep COMPONENT development
  FILES_MATCHING PATTERN "*.h")

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/unirep)
install(EXPORT unirepTargets NAMESPACE unirep:: DESTINATION ${_cmake_dir} COMPONENT development)
configure_package_config_file(cmake/unirepConfig.cmake.in ${PROJECT_BINARY_DIR}/unirepConfig.cmake
  INSTALL_DESTINATION ${_cmake_dir})
# 0.x: minor versions may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/unirepConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/unirepConfig.cmake ${PROJECT_BINARY_DIR}/unirepConfigVersion.cmake
  DESTINATION ${_cmake_dir} COMPONENT development)

# pkg-config: the prefix is computed from the .pc file's own location (relocatable).
file(RELATIVE_PATH _pc_to_prefix ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" _pc_to_prefix "${_pc_to_prefix}")
configure_file(cmake/unirep.pc.in ${PROJECT_BINARY_DIR}/unirep.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/unirep.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)
