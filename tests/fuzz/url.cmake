voxline_add_fuzzer(url LIBS voxline::net)
