/* SPDX-License-Identifier: MIT */
#include <stdio.h>

int main(void)
{
    printf("espload-sim v%s\n", EL_VERSION);
    return 0;
}
