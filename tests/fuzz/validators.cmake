voxline_add_fuzzer(validators LIBS voxline::storage)
