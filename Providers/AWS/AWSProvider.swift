// The AWS provider lands in this folder.
