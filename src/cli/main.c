/* SPDX-License-Identifier: MIT */
#include <stdio.h>

int main(void)
{
    printf("espload v%s\n", EL_VERSION);
    return 0;
}
