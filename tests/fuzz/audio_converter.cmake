voxline_add_fuzzer(audio_converter LIBS voxline::audio)
