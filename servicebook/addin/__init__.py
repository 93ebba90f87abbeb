"""The Excel add-in: the Python behind the 客服助手 ribbon tab, and building and installing it."""
