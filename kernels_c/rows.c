/* spinstream engine: ordering synapses into rows at load (spinstream/board/_synapses.py).
 *
 * The rows group each source neuron's synapses by target core, rule and target neuron.
 * numpy would argsort one composite key over every synapse (O(n log n), the largest single
 * cost of loading a big network); here a counting sort by source neuron (O(n)) is followed
 * by a sort of each row by its minor key (rows are short: tens to thousands).  Stable: equal
 * keys (multapses) keep their order in the network's description. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Sort order[lo, hi) by key[order[.]], stably (insertion sort for short runs, merge sort). */
static void sort_run(int64_t *order, int64_t *tmp, const int64_t *key, int64_t lo, int64_t hi) {
    const int64_t n = hi - lo;
    if (n < 2) return;
    if (n <= 24) {
        for (int64_t i = lo + 1; i < hi; i++) {
            const int64_t v = order[i], k = key[v];
            int64_t j = i - 1;
            while (j >= lo && key[order[j]] > k) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = v;
        }
        return;
    }
    const int64_t mid = lo + n / 2;
    sort_run(order, tmp, key, lo, mid);
    sort_run(order, tmp, key, mid, hi);
    if (key[order[mid - 1]] <= key[order[mid]]) return; /* already in order */
    int64_t a = lo, b = mid, o = lo;
    while (a < mid && b < hi) tmp[o++] = key[order[b]] < key[order[a]] ? order[b++] : order[a++];
    while (a < mid) tmp[o++] = order[a++];
    while (b < hi) tmp[o++] = order[b++];
    memcpy(order + lo, tmp + lo, (size_t)n * sizeof(int64_t));
}

/* order[0, n): the synapses sorted by (row[i], minor[i]), stably; row in [0, n_rows).
 * Returns 0, or -1 when memory is refused or a row is out of range. */
int ss_sort_rows(int64_t n, int64_t n_rows, const int64_t *row, const int64_t *minor,
                 int64_t *order) {
    int64_t *start = (int64_t *)calloc((size_t)n_rows + 1, sizeof(int64_t));
    int64_t *cursor = (int64_t *)malloc(((size_t)n_rows + 1) * sizeof(int64_t));
    int64_t *tmp = (int64_t *)malloc(((size_t)n + 1) * sizeof(int64_t));
    int rc = start && cursor && tmp ? 0 : -1;
    for (int64_t i = 0; i < n && !rc; i++) {
        if (row[i] < 0 || row[i] >= n_rows) rc = -1;
        else start[row[i] + 1]++;
    }
    if (!rc) {
        for (int64_t r = 0; r < n_rows; r++) start[r + 1] += start[r];
        memcpy(cursor, start, (size_t)n_rows * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) order[cursor[row[i]]++] = i; /* stable */
        for (int64_t r = 0; r < n_rows; r++) sort_run(order, tmp, minor, start[r], start[r + 1]);
    }
    free(start);
    free(cursor);
    free(tmp);
    return rc;
}
