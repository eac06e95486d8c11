# Installation: headers, libvoxline (.so with versioned SONAME and .a), the CMake package
# (find_package(voxline) -> voxline::voxline, voxline::static) and the pkg-config file voxline.pc.
# The CLI tools install themselves (tools/<name>/CMakeLists.txt).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The external libraries the layers link (flattened, voxline_* targets removed): what a consumer
# of the static archive must link too. Header-only voxline::rapidjson is left out.
function(voxline_external_link_deps out)
  get_property(pending GLOBAL PROPERTY VOXLINE_LAYER_TARGETS)
  set(seen "")
  set(external "")
  while(pending)
    list(POP_FRONT pending item)
    if(item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${item})
    if(TARGET ${item})
      get_target_property(real ${item} ALIASED_TARGET)
      if(real)
        set(item ${real})
      endif()
    endif()
    if(item MATCHES "^voxline_")
      get_target_property(deps ${item} INTERFACE_LINK_LIBRARIES)
      if(deps)
        list(APPEND pending ${deps})
      endif()
    else()
      list(APPEND external ${item})
    endif()
  endwhile()
  list(REMOVE_DUPLICATES external)
  set(${out} ${external} PARENT_SCOPE)
endfunction()

function(voxline_install)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/voxline DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/capi/voxline.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

  set_target_properties(voxline PROPERTIES EXPORT_NAME voxline)
  set_target_properties(voxline_static PROPERTIES EXPORT_NAME static)
  foreach(t voxline voxline_static)
    target_include_directories(${t} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endforeach()
  voxline_external_link_deps(deps)
  # The installed archive names its dependencies itself; the build tree links them privately.
  foreach(d IN LISTS deps)
    target_link_libraries(voxline_static INTERFACE $<INSTALL_INTERFACE:$<LINK_ONLY:${d}>>)
  endforeach()
  install(TARGETS voxline voxline_static EXPORT voxlineTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

  set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/voxline)
  install(EXPORT voxlineTargets NAMESPACE voxline:: DESTINATION ${cmake_dir})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/voxlineConfig.cmake.in
    ${PROJECT_BINARY_DIR}/voxlineConfig.cmake INSTALL_DESTINATION ${cmake_dir})
  # The SONAME carries the major version and an ABI break bumps it (tests/abi/check_abi.cmake),
  # so any version with the requested major is compatible.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/voxlineConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/voxlineConfig.cmake ${PROJECT_BINARY_DIR}/voxlineConfigVersion.cmake
    DESTINATION ${cmake_dir})

  # pkg-config: -lvoxline picks the shared library; --static adds Libs.private for libvoxline.a.
  # The libraries behind the layers' dependencies are named in Requires.private of voxline.pc.in.
  set(VOXLINE_PC_LIBS_PRIVATE " -lstdc++ -lm -pthread")
  # Relocatable: prefix is found from the .pc file's own place, so `cmake --install --prefix` works.
  if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
    set(VOXLINE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
    string(REGEX REPLACE "/$" "" up "${up}")
    set(VOXLINE_PC_PREFIX "\${pcfiledir}/${up}")
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/voxline.pc.in ${PROJECT_BINARY_DIR}/voxline.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/voxline.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
