# bench: targets added by its owner
