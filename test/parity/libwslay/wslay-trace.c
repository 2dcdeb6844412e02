/*
 * Runs engine scripts (see ../engine-script.ts for the language) against libwslay itself and
 * prints their traces, so that the traces of both backends' engines can be compared with the
 * real library's, line by line. A line "---" ends a script: everything is reset and "---" is
 * printed, so that one process runs a whole batch of scripts.
 *
 *   cc -O1 -o wslay-trace wslay-trace.c -lwslay && ./wslay-trace < script
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <wslay/wslay.h>

#define MAXTOK 4096
static uint8_t *inbuf; static size_t inlen, inpos, incap;
static char *rpol[MAXTOK]; static int rpn, rpi;
static char *spol[MAXTOK]; static int spn, spi;
static char *gpol[MAXTOK]; static int gpn, gpi;
#define MAXSRC 64
static uint8_t *srcd[MAXSRC]; static size_t srcl[MAXSRC], srcp[MAXSRC];
static char *fpol[MAXSRC][256]; static int fpn[MAXSRC], fpi[MAXSRC];
static wslay_event_context_ptr ev; static wslay_frame_context_ptr fr;
/* actions run inside on_msg_recv, on_frame_recv_start and on_frame_recv_chunk */
static char cbact[64][512]; static int ncbact;
static char startact[64][512]; static int nstartact;
static char chunkact[64][512]; static int nchunkact;
static void run(char *line);
static void actions(char acts[][512], int n) {
  for (int i = 0; i < n; i++) { char tmp[512]; strcpy(tmp, acts[i]); printf("  cb: "); run(tmp); }
}

static void phex(const uint8_t *d, size_t n) {
  if (n <= 64) { for (size_t i = 0; i < n; i++) printf("%02x", d[i]); if (!n) printf("-"); }
  else { uint32_t h = 2166136261u; for (size_t i = 0; i < n; i++) { h ^= d[i]; h *= 16777619u; } printf("#%zu:%08x", n, h); }
}
static int hexv(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
/* data: "-" empty, hex, or "Rn:seed" pattern */
static size_t parsedata(const char *s, uint8_t **out) {
  if (!s || !strcmp(s, "-")) { *out = malloc(1); return 0; }
  if (s[0] == 'R') { size_t n = strtoul(s + 1, 0, 10); const char *c = strchr(s, ':'); unsigned seed = c ? atoi(c + 1) : 0;
    *out = malloc(n + 1); for (size_t i = 0; i < n; i++) (*out)[i] = (uint8_t)(i * 7 + seed + (i >> 8)); return n; }
  size_t n = strlen(s) / 2; *out = malloc(n + 1);
  for (size_t i = 0; i < n; i++) (*out)[i] = hexv(s[2 * i]) * 16 + hexv(s[2 * i + 1]);
  return n;
}

static ssize_t do_recv(uint8_t *buf, size_t len, int flags, int event) {
  printf("recv %zu %d", len, flags);
  const char *t = rpi < rpn ? rpol[rpi++] : NULL;
  size_t avail = inlen - inpos;
  if (!t) t = avail ? "A" : "W";
  if (!strcmp(t, "W")) { printf(" W\n"); if (event) wslay_event_set_error(ev, WSLAY_ERR_WOULDBLOCK); return -1; }
  if (!strcmp(t, "F")) { printf(" F\n"); if (event) wslay_event_set_error(ev, WSLAY_ERR_CALLBACK_FAILURE); return -1; }
  if (!strcmp(t, "N")) { printf(" N\n"); return -1; }
  if (!strcmp(t, "Z")) { printf(" Z\n"); return 0; }
  size_t n = !strcmp(t, "A") ? len : strtoul(t, 0, 10);
  if (n > len) n = len; if (n > avail) n = avail;
  if (n == 0) { printf(" W\n"); if (event) wslay_event_set_error(ev, WSLAY_ERR_WOULDBLOCK); return -1; }
  memcpy(buf, inbuf + inpos, n); inpos += n;
  printf(" -> %zu\n", n);
  return n;
}
static ssize_t do_send(const uint8_t *d, size_t len, int flags, int event) {
  printf("send %zu %d ", len, flags); phex(d, len);
  const char *t = spi < spn ? spol[spi++] : "A";
  if (!strcmp(t, "W")) { printf(" W\n"); if (event) wslay_event_set_error(ev, WSLAY_ERR_WOULDBLOCK); return -1; }
  if (!strcmp(t, "F")) { printf(" F\n"); if (event) wslay_event_set_error(ev, WSLAY_ERR_CALLBACK_FAILURE); return -1; }
  if (!strcmp(t, "N")) { printf(" N\n"); return -1; }
  if (!strcmp(t, "Z")) { printf(" Z\n"); return 0; }
  size_t n = !strcmp(t, "A") ? len : strtoul(t, 0, 10);
  if (n > len) n = len;
  printf(" -> %zu\n", n);
  return n;
}
static int do_genmask(uint8_t *buf, size_t len) {
  printf("genmask %zu", len);
  const char *t = gpi < gpn ? gpol[gpi++] : "01020304";
  if (!strcmp(t, "F")) { printf(" F\n"); return -1; }
  if (!strcmp(t, "P")) { printf(" P\n"); return 1; }
  if (!strcmp(t, "M")) { printf(" M\n"); return -5; }
  for (size_t i = 0; i < len; i++) buf[i] = hexv(t[(2 * i) % strlen(t)]) * 16 + hexv(t[(2 * i + 1) % strlen(t)]);
  printf(" ok\n"); return 0;
}
static ssize_t e_recv(wslay_event_context_ptr c, uint8_t *b, size_t l, int f, void *u) { return do_recv(b, l, f, 1); }
static ssize_t e_send(wslay_event_context_ptr c, const uint8_t *d, size_t l, int f, void *u) { return do_send(d, l, f, 1); }
static int e_genmask(wslay_event_context_ptr c, uint8_t *b, size_t l, void *u) { return do_genmask(b, l); }
static void e_start(wslay_event_context_ptr c, const struct wslay_event_on_frame_recv_start_arg *a, void *u) {
  printf("start %d %d %d %.0f\n", a->fin, a->rsv, a->opcode, (double)a->payload_length);
  actions(startact, nstartact); }
static void e_chunk(wslay_event_context_ptr c, const struct wslay_event_on_frame_recv_chunk_arg *a, void *u) {
  printf("chunk "); phex(a->data, a->data_length); printf("\n"); actions(chunkact, nchunkact); }
static void e_end(wslay_event_context_ptr c, void *u) { printf("end\n"); }
static void e_msg(wslay_event_context_ptr c, const struct wslay_event_on_msg_recv_arg *a, void *u) {
  printf("msg %d %d ", a->rsv, a->opcode); phex(a->msg, a->msg_length); printf(" %d\n", a->status_code);
  actions(cbact, ncbact);
}
static ssize_t e_read(wslay_event_context_ptr c, uint8_t *buf, size_t len, const union wslay_event_msg_source *s, int *eof, void *u) {
  int id = s->fd;
  printf("read %d %zu", id, len);
  const char *t = fpi[id] < fpn[id] ? fpol[id][fpi[id]++] : "A";
  if (!strcmp(t, "F")) { printf(" F\n"); wslay_event_set_error(ev, WSLAY_ERR_CALLBACK_FAILURE); return -1; }
  /* N: -1 without the hook setting an error; the native backend sets CALLBACK_FAILURE. */
  if (!strcmp(t, "N")) { printf(" N\n"); wslay_event_set_error(ev, WSLAY_ERR_CALLBACK_FAILURE); return -1; }
  if (!strcmp(t, "X")) { printf(" X\n"); *eof = 1; return 0; }
  size_t avail = srcl[id] - srcp[id];
  size_t n = !strcmp(t, "A") ? len : strtoul(t, 0, 10);
  if (n > len) n = len; if (n > avail) n = avail;
  memcpy(buf, srcd[id] + srcp[id], n); srcp[id] += n;
  if (srcp[id] == srcl[id]) *eof = 1;
  printf(" -> %zu %d\n", n, *eof);
  return n;
}
static ssize_t f_recv(uint8_t *b, size_t l, int f, void *u) { return do_recv(b, l, f, 0); }
static ssize_t f_send(const uint8_t *d, size_t l, int f, void *u) { return do_send(d, l, f, 0); }
static int f_genmask(uint8_t *b, size_t l, void *u) { return do_genmask(b, l); }

static void toks(char **arr, int *n, char *rest) {
  for (char *t = strtok(rest, " \n"); t; t = strtok(NULL, " \n")) arr[(*n)++] = strdup(t);
}
static void getters(void) {
  printf("get rd=%d wr=%d wantr=%d wantw=%d cr=%d cs=%d scr=%d scs=%d qc=%zu ql=%zu\n",
    wslay_event_get_read_enabled(ev), wslay_event_get_write_enabled(ev), wslay_event_want_read(ev),
    wslay_event_want_write(ev), wslay_event_get_close_received(ev), wslay_event_get_close_sent(ev),
    wslay_event_get_status_code_received(ev), wslay_event_get_status_code_sent(ev),
    wslay_event_get_queued_msg_count(ev), wslay_event_get_queued_msg_length(ev));
}
static void reset(void) {
  if (ev) wslay_event_context_free(ev);
  if (fr) wslay_frame_context_free(fr);
  ev = 0; fr = 0;
  inlen = inpos = 0;
  for (int i = 0; i < rpn; i++) free(rpol[i]);
  for (int i = 0; i < spn; i++) free(spol[i]);
  for (int i = 0; i < gpn; i++) free(gpol[i]);
  rpn = rpi = spn = spi = gpn = gpi = 0;
  for (int id = 0; id < MAXSRC; id++) {
    free(srcd[id]); srcd[id] = 0; srcl[id] = srcp[id] = 0;
    for (int i = 0; i < fpn[id]; i++) free(fpol[id][i]);
    fpn[id] = fpi[id] = 0;
  }
  ncbact = nstartact = nchunkact = 0;
}
static void run(char *line) {
  char *cmd = strtok(line, " \n");
  if (!cmd || cmd[0] == '#') return;
  if (!strcmp(cmd, "---")) { reset(); printf("---\n"); }
  else if (!strcmp(cmd, "ctx")) {
    char *kind = strtok(NULL, " \n"); int mask = atoi(strtok(NULL, " \n"));
    struct wslay_event_callbacks cb = {
      mask & 1 ? e_recv : 0, mask & 2 ? e_send : 0, mask & 4 ? e_genmask : 0,
      mask & 8 ? e_start : 0, mask & 16 ? e_chunk : 0, mask & 32 ? e_end : 0, mask & 64 ? e_msg : 0 };
    if (ev) wslay_event_context_free(ev);
    if (!strcmp(kind, "server")) wslay_event_context_server_init(&ev, &cb, 0);
    else wslay_event_context_client_init(&ev, &cb, 0);
  } else if (!strcmp(cmd, "cbs")) {
    int mask = atoi(strtok(NULL, " \n"));
    struct wslay_event_callbacks cb = {
      mask & 1 ? e_recv : 0, mask & 2 ? e_send : 0, mask & 4 ? e_genmask : 0,
      mask & 8 ? e_start : 0, mask & 16 ? e_chunk : 0, mask & 32 ? e_end : 0, mask & 64 ? e_msg : 0 };
    wslay_event_config_set_callbacks(ev, &cb);
  } else if (!strcmp(cmd, "nobuf")) wslay_event_config_set_no_buffering(ev, atoi(strtok(NULL, " \n")));
  else if (!strcmp(cmd, "maxlen")) wslay_event_config_set_max_recv_msg_length(ev, strtoull(strtok(NULL, " \n"), 0, 10));
  else if (!strcmp(cmd, "rsv")) wslay_event_config_set_allowed_rsv_bits(ev, atoi(strtok(NULL, " \n")));
  else if (!strcmp(cmd, "in")) {
    uint8_t *d; size_t n = parsedata(strtok(NULL, " \n"), &d);
    if (inlen + n > incap) { incap = (inlen + n) * 2; inbuf = realloc(inbuf, incap); }
    memcpy(inbuf + inlen, d, n); inlen += n; free(d);
  } else if (!strcmp(cmd, "frame")) {
    /* frame <fin> <rsv> <opcode> <masked> <data>: appends one frame to the input, masked
       with RFC 6455's example key 37fa213d, its length in the shortest form. */
    int fin = atoi(strtok(NULL, " \n")), rsv = atoi(strtok(NULL, " \n")), op = atoi(strtok(NULL, " \n"));
    int masked = atoi(strtok(NULL, " \n")); uint8_t *d; size_t n = parsedata(strtok(NULL, " \n"), &d);
    static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
    uint8_t h[14]; size_t hl = 0;
    h[hl++] = (fin << 7) | (rsv << 4) | op;
    if (n < 126) h[hl++] = (masked ? 0x80 : 0) | n;
    else if (n < 65536) { h[hl++] = (masked ? 0x80 : 0) | 126; h[hl++] = n >> 8; h[hl++] = n & 0xff; }
    else { h[hl++] = (masked ? 0x80 : 0) | 127; for (int i = 7; i >= 0; i--) h[hl++] = (uint8_t)((uint64_t)n >> (8 * i)); }
    if (masked) { memcpy(h + hl, key, 4); hl += 4; for (size_t i = 0; i < n; i++) d[i] ^= key[i % 4]; }
    if (inlen + hl + n > incap) { incap = (inlen + hl + n) * 2; inbuf = realloc(inbuf, incap); }
    memcpy(inbuf + inlen, h, hl); inlen += hl; memcpy(inbuf + inlen, d, n); inlen += n; free(d);
  } else if (!strcmp(cmd, "rpol")) toks(rpol, &rpn, strtok(NULL, ""));
  else if (!strcmp(cmd, "spol")) toks(spol, &spn, strtok(NULL, ""));
  else if (!strcmp(cmd, "gpol")) toks(gpol, &gpn, strtok(NULL, ""));
  else if (!strcmp(cmd, "src")) { int id = atoi(strtok(NULL, " \n")); free(srcd[id]); srcl[id] = parsedata(strtok(NULL, " \n"), &srcd[id]); srcp[id] = 0; }
  else if (!strcmp(cmd, "fpol")) { int id = atoi(strtok(NULL, " \n")); toks(fpol[id], &fpn[id], strtok(NULL, "")); }
  else if (!strcmp(cmd, "oncb")) { char *r = strtok(NULL, "\n"); strcpy(cbact[ncbact++], r); }
  else if (!strcmp(cmd, "onstart")) { char *r = strtok(NULL, "\n"); strcpy(startact[nstartact++], r); }
  else if (!strcmp(cmd, "onchunk")) { char *r = strtok(NULL, "\n"); strcpy(chunkact[nchunkact++], r); }
  else if (!strcmp(cmd, "recv")) printf("recv= %d\n", wslay_event_recv(ev));
  else if (!strcmp(cmd, "send")) printf("send= %d\n", wslay_event_send(ev));
  else if (!strcmp(cmd, "q")) {
    int op = atoi(strtok(NULL, " \n")); int rsv = atoi(strtok(NULL, " \n")); uint8_t *d; size_t n = parsedata(strtok(NULL, " \n"), &d);
    struct wslay_event_msg m = { op, d, n };
    int r = rsv < 0 ? wslay_event_queue_msg(ev, &m) : wslay_event_queue_msg_ex(ev, &m, rsv);
    printf("q= %d\n", r); free(d);
  } else if (!strcmp(cmd, "qf")) {
    int op = atoi(strtok(NULL, " \n")); int rsv = atoi(strtok(NULL, " \n")); int id = atoi(strtok(NULL, " \n"));
    struct wslay_event_fragmented_msg m; m.opcode = op; m.source.fd = id; m.read_callback = e_read;
    int r = rsv < 0 ? wslay_event_queue_fragmented_msg(ev, &m) : wslay_event_queue_fragmented_msg_ex(ev, &m, rsv);
    printf("qf= %d\n", r);
  } else if (!strcmp(cmd, "qc")) {
    int code = atoi(strtok(NULL, " \n")); char *ds = strtok(NULL, " \n"); uint8_t *d = NULL; size_t n = 0;
    if (ds && strcmp(ds, "null")) n = parsedata(ds, &d);
    printf("qc= %d\n", wslay_event_queue_close(ev, code, d, n)); free(d);
  } else if (!strcmp(cmd, "shut")) { char *w = strtok(NULL, " \n"); if (w[0] == 'r') wslay_event_shutdown_read(ev); else wslay_event_shutdown_write(ev); }
  else if (!strcmp(cmd, "seterr")) wslay_event_set_error(ev, atoi(strtok(NULL, " \n")));
  else if (!strcmp(cmd, "get")) getters();
  else if (!strcmp(cmd, "fctx")) {
    struct wslay_frame_callbacks cb = { f_send, f_recv, f_genmask };
    if (fr) wslay_frame_context_free(fr);
    wslay_frame_context_init(&fr, &cb, 0);
  }
  else if (!strcmp(cmd, "fsend")) {
    struct wslay_frame_iocb io; memset(&io, 0, sizeof io);
    io.fin = atoi(strtok(NULL, " \n")); io.rsv = atoi(strtok(NULL, " \n")); io.opcode = atoi(strtok(NULL, " \n"));
    io.payload_length = strtoull(strtok(NULL, " \n"), 0, 10); io.mask = atoi(strtok(NULL, " \n"));
    uint8_t *d; size_t n = parsedata(strtok(NULL, " \n"), &d); io.data = d; io.data_length = n;
    printf("fsend= %zd\n", wslay_frame_send(fr, &io)); free(d);
  } else if (!strcmp(cmd, "frecv")) {
    struct wslay_frame_iocb io; memset(&io, 0, sizeof io);
    ssize_t r = wslay_frame_recv(fr, &io);
    printf("frecv= %zd", r);
    if (r >= 0) { printf(" %d %d %d %.0f %d ", io.fin, io.rsv, io.opcode, (double)io.payload_length, io.mask); phex(io.data, io.data_length); }
    printf("\n");
  } else { printf("??? %s\n", cmd); }
  fflush(stdout);
}
int main(void) {
  static char line[1 << 20];
  while (fgets(line, sizeof line, stdin)) run(line);
  reset();
  return 0;
}
