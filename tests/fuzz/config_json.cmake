voxline_add_fuzzer(config_json LIBS voxline::core)
