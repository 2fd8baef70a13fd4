# rsmd: targets added by its owner
