#pragma once
// UNIREP_API marks what libunirep.so exports: the app-facing classes and the C functions.
// Everything else in the library (the backbone, the preprocessing, the bundled LibTorch glue) is
// hidden, so apps link against a small, stable surface.
#if defined(_WIN32)
#if defined(UNIREP_BUILDING_LIBRARY)
#define UNIREP_API __declspec(dllexport)
#else
#define UNIREP_API __declspec(dllimport)
#endif
#else
#define UNIREP_API __attribute__((visibility("default")))
#endif
