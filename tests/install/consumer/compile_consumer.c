/*
 * compile_consumer.c -- a program built against an installed glc's compiler library
 * (find_package(glc) -> glc::compiler): compiles MODEL.onnx to OUT.so in-process and
 * prints the one-line diagnostic on failure.
 */
#include <glc_compile.h>

#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: compile_consumer MODEL.onnx OUT.so\n");
        return 2;
    }
    glc_compile_diag d;
    if (glc_compile_file(argv[1], argv[2], NULL, &d) != GLC_COMPILE_OK) {
        fprintf(stderr, "%s\n", d.message);
        return 1;
    }
    return 0;
}
