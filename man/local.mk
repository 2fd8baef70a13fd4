# man: targets added by its owner
