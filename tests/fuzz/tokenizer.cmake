voxline_add_fuzzer(tokenizer LIBS voxline::tokenizer)
