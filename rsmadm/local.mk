# rsmadm: targets added by its owner
