# cmake -DIN=obj -DOUT=file.c -P embed_object.cmake: writes IN's bytes as the C array
# cg_pool_object[] and its size cg_pool_object_size (used by emit.c).
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* generated from runtime/pool.c by codegen/embed_object.cmake */\n"
  "#include <stddef.h>\nconst unsigned char cg_pool_object[] = {\n${body}\n};\n"
  "const size_t cg_pool_object_size = ${bytes};\n")
