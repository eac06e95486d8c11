// File: export.hpp
// VOXLINE_API marks the symbols that leave the shared library; everything else is hidden
// (the build uses -fvisibility=hidden).
#pragma once

#if defined(_WIN32)
#if defined(VOXLINE_BUILDING_LIBRARY)
#define VOXLINE_API __declspec(dllexport)
#else
#define VOXLINE_API __declspec(dllimport)
#endif
#else
#define VOXLINE_API __attribute__((visibility("default")))
#endif
