// File: export.hpp
// VOXLINE_API marks the symbols of the C++ API (the build uses -fvisibility=hidden). They are
// for libvoxline.a and the layer libraries: libvoxline.so keeps them local (capi/voxline.map)
// and exports only the voxline_* C functions.
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
