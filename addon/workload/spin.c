/*
 * nslab-workload-spin: one thread that burns CPU forever (the article's deadloop).
 * Build: gcc -O2 -static -o nslab-workload-spin addon/workload/spin.c
 *
 * The counter is volatile so that the compiler keeps the loop: without it, -O2 may
 * turn `for (;;) i++;` into an empty infinite loop, which still burns CPU but no longer
 * does what the source says.  Static, so no loader or libc start-up is measured.
 */
int main(void) {
    volatile unsigned long i = 0;
    for (;;)
        i++;
}
