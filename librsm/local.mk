# librsm: targets added by its owner
