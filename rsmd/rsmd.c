/*
 * rsmd.c - the rsm node daemon: options, signals, daemonising and the
 * event loop.  Everything a client can ask is in control.c; the books are
 * in registry.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "rsmd.h"
#include "log.h"
#include "monitor.h"
#include "peer.h"
#include "remote.h"
#include "admin.h"
#include "service.h"
#include "svcmgr.h"
#include "privdrop.h"
#include "rsm_busypoll.h"
#include "rsm_clock.h"

#define MAX_EVENTS		64
/* After running out of descriptors, try accepting again this much later. */
#define ACCEPT_RETRY_MS		1000

/* The signalfd, watched like any other descriptor. */
static struct rsmd_io signal_io;
static int quit_requested;

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: rsmd [-dfnv] [-c file] [-s socket]\n"
"\n"
"The rsm node daemon: home of the node's exported segments, their access\n"
"control, limits and quotas.\n"
"\n"
"  -c file     configuration file (default " RSMD_DEFAULT_CONFIG ").\n"
"              When the default file does not exist rsmd runs as node 0\n"
"              with the default settings and logs a warning; a file named\n"
"              with -c must exist.\n"
"  -d          debug logging (overrides log_level)\n"
"  -f          stay in the foreground and log to stderr; without -f rsmd\n"
"              forks, detaches (setsid), logs to syslog (facility daemon)\n"
"              and writes the pidfile if one is configured\n"
"  -n          check the configuration and exit: 0 when valid, 1 when not\n"
"              (every error is reported as file:line)\n"
"  -v          with -n, print the effective configuration in config syntax\n"
"  -s socket   the Unix socket to listen on; overrides $" RSM_SOCKET_ENV ",\n"
"              which overrides \"socket =\" (default " RSM_DEFAULT_SOCKET ")\n"
"  --help      print this help and exit\n"
"  --version   print the version and exit\n"
"\n"
"Configuration keys (\"key = value\" lines, \"#\" comments; numbers may be\n"
"decimal, 0x hex or 0-prefixed octal; sizes take a K, M or G suffix):\n"
"  node_id = N            this node's id, 0..65535 (required in a config file)\n"
"  socket = PATH          Unix socket path (" RSM_DEFAULT_SOCKET ")\n"
"  socket_mode = MODE     mode of the socket file, 0..0777 (0666); access is\n"
"                         checked per request\n"
"  log_level = LEVEL      error, warn, info or debug (info)\n"
"  pidfile = PATH         written when daemonised (none)\n"
"  segid_min = ID         lowest application segment id accepted (0x400000)\n"
"  segid_max = ID         highest application segment id accepted\n"
"                         (0x7fffffff); both within 0x400000..0x7fffffff\n"
"  max_segments = N       segments on the node, all users (65535)\n"
"  max_segment_size = SZ  largest single export (64G)\n"
"  quota_segments = N     export segments per uid, 0 = none (0)\n"
"  quota_bytes = SZ       exported bytes per uid, 0 = none (0)\n"
"  quota_imports = N      import connections per uid, 0 = none (0)\n"
"  listen = HOST:PORT     where peer daemons connect (none); numeric IPv4,\n"
"                         [IPv6] or *:PORT\n"
"  peer = ID HOST:PORT    a peer node (id 0..65535) and its listen address;\n"
"                         repeatable, up to 4096 peers\n"
"  peers_file = PATH      more peers, one \"ID HOST:PORT\" per line (none);\n"
"                         this node's own line is skipped\n"
"  peer_links = WHEN      always, on-demand or auto: on-demand with a\n"
"                         peers_file, else always (auto)\n"
"  peer_idle_timeout = S  an on-demand link unused this long closes (30)\n"
"  cluster_key_file = PATH  shared key of the cluster, mode 0600 or\n"
"                         stricter, 32 to 4096 bytes; needed with listen/peer\n"
"  heartbeat_ms = N       heartbeat interval to peers, 10..60000 (100)\n"
"  dead_after_ms = N      a silent peer is down after this, 20..600000 and\n"
"                         at least twice heartbeat_ms (1000)\n"
"  data_listen = HOST:PORT  data port of controller tcp0, numeric IPv4 or\n"
"                         [IPv6]; port 0 picks a free one (" RSMD_DEFAULT_DATA_LISTEN ")\n"
"  verbs_listen = ADDR:PORT rdma_cm listener of the verbs data path, an\n"
"                         address of an RDMA device (none)\n"
"  verbs_windows = 0|1    a memory window per importer queue pair where the\n"
"                         device has type 2 windows (1)\n"
"Unknown keys, sections, repeated keys and bad values are errors.\n"
"\n"
"Signals: SIGHUP re-reads the configuration file (on error the running\n"
"configuration is kept; node_id, socket and pidfile changes need a\n"
"restart); SIGTERM and SIGINT exit cleanly, removing the socket.\n");
}

static void
limits_from_conf(const struct rsmd_config *cf, struct reg_limits *lim)
{
	long page = sysconf(_SC_PAGESIZE);

	memset(lim, 0, sizeof(*lim));
	lim->node_id = cf->node_id;
	lim->segid_min = cf->segid_min;
	lim->segid_max = cf->segid_max;
	lim->max_segments = cf->max_segments;
	lim->max_segment_size = cf->max_segment_size;
	lim->quota_segments = cf->quota_segments;
	lim->quota_bytes = cf->quota_bytes;
	lim->quota_imports = cf->quota_imports;
	lim->page_size = page > 0 ? (uint64_t)page : 4096;
}

/* -s > $RSM_DAEMON_SOCKET > socket = > the default. */
static const char *
effective_socket(const char *opt, const struct rsmd_config *cf)
{
	const char *env = getenv(RSM_SOCKET_ENV);

	if (opt != NULL)
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	if (cf->socket != NULL)
		return cf->socket;
	return RSM_DEFAULT_SOCKET;
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The links are built from listen, peer and cluster_key_file at start:
 * a reload keeps them (heartbeat_ms and dead_after_ms do take effect).
 */
static void
keep_cluster(struct rsmd_config *nc, struct rsmd_config *old)
{
	struct rsmd_addr *a;
	char *k;
	size_t n;
	int same = nc->npeers == old->npeers &&
	    (nc->listen == NULL) == (old->listen == NULL) &&
	    (nc->listen == NULL || strcmp(nc->listen->text,
	    old->listen->text) == 0) &&
	    same_str(nc->cluster_key_file, old->cluster_key_file) &&
	    same_str(nc->peers_file, old->peers_file) &&
	    config_links_on_demand(nc) == config_links_on_demand(old);

	for (n = 0; same && n < nc->npeers; n++)
		same = nc->peers[n].node_id == old->peers[n].node_id &&
		    strcmp(nc->peers[n].text, old->peers[n].text) == 0;
	if (!same)
		log_warnx("listen, peer, peers_file, peer_links and "
		    "cluster_key_file changes need a restart: keeping the "
		    "running ones");
	a = nc->listen; nc->listen = old->listen; old->listen = a;
	a = nc->peers; nc->peers = old->peers; old->peers = a;
	n = nc->npeers; nc->npeers = old->npeers; old->npeers = n;
	n = nc->npeers_listed; nc->npeers_listed = old->npeers_listed;
	old->npeers_listed = n;
	k = nc->peers_file; nc->peers_file = old->peers_file;
	old->peers_file = k;
	{
		int l = nc->peer_links;

		nc->peer_links = old->peer_links;
		old->peer_links = l;
	}
	k = nc->cluster_key_file; nc->cluster_key_file = old->cluster_key_file;
	old->cluster_key_file = k;
}

/* SIGHUP: parse into a fresh struct, keep the old one on any error. */
static void
reconfigure(struct rsmd *rs)
{
	struct rsmd_config nc;
	struct reg_limits lim;
	int missing;

	log_info("reloading %s", rs->conf_file);
	if (config_load(rs->conf_file, &nc, rs->conf_missing_ok,
	    &missing) == -1) {
		log_warnx("%s has errors: keeping the running configuration",
		    rs->conf_file);
		return;
	}
	if (nc.node_id != rs->conf.node_id) {
		log_warnx("node_id change to %u needs a restart: keeping %u",
		    nc.node_id, rs->conf.node_id);
		nc.node_id = rs->conf.node_id;
	}
	if (!same_str(nc.socket, rs->conf.socket)) {
		log_warnx("socket change needs a restart: keeping %s",
		    rs->socket_path);
		free(nc.socket);
		nc.socket = rs->conf.socket ? strdup(rs->conf.socket) : NULL;
	}
	keep_cluster(&nc, &rs->conf);
	if (!same_str(nc.pidfile, rs->conf.pidfile)) {
		log_warnx("pidfile change needs a restart: keeping %s",
		    rs->conf.pidfile ? rs->conf.pidfile : "none");
		free(nc.pidfile);
		nc.pidfile = rs->conf.pidfile ? strdup(rs->conf.pidfile) :
		    NULL;
	}
	if (!same_str(nc.segment_dir, rs->conf.segment_dir)) {
		log_warnx("segment_dir change needs a restart: keeping %s",
		    rs->conf.segment_dir ? rs->conf.segment_dir : "none");
		free(nc.segment_dir);
		nc.segment_dir = rs->conf.segment_dir ?
		    strdup(rs->conf.segment_dir) : NULL;
	}
	if (!same_str(nc.user, rs->conf.user)) {
		log_warnx("user change needs a restart: keeping %s",
		    rs->conf.user ? rs->conf.user : "none");
		free(nc.user);
		nc.user = rs->conf.user ? strdup(rs->conf.user) : NULL;
	}
	config_free(&rs->conf);
	rs->conf = nc;
	log_setlevel(rs->debug ? RSMD_LOG_DEBUG : nc.log_level);
	control_chmod(rs);
	limits_from_conf(&rs->conf, &lim);
	reg_set_limits(&rs->reg, &lim);
	log_info("configuration reloaded");
}

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	/* Every exported segment keeps its memfd open in the daemon. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

static int
write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn("pidfile %s", path);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("write %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Sets quit_requested when the daemon should stop. */
static void
signals_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			/* Kept or replaced, the configuration is whole again. */
			svcmgr_reloading();
			reconfigure(rs);
			svcmgr_ready(rs->conf.node_id, rs->socket_path);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %u: exiting", si.ssi_signo);
			svcmgr_stopping();
			quit_requested = 1;
			break;
		default:
			break;
		}
	}
}

static void
listen_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	(void)io;
	(void)events;
	control_accept(rs);
}

static void
resume_accept(struct rsmd *rs)
{
	if (rsmd_io_mod(rs, &rs->listen_io, EPOLLIN) == 0)
		rs->accept_paused = 0;
}

/* The loop: wait, dispatch, run due timers, then close whoever died. */
static void
run(struct rsmd *rs)
{
	struct epoll_event ev[MAX_EVENTS];
	struct rsm_busypoll bp = { 0 };
	uint64_t poll_until = 0;
	int i, n, wait_ms;

	while (!quit_requested) {
		wait_ms = rsmd_timer_wait_ms(rs,
		    rs->accept_paused ? ACCEPT_RETRY_MS : -1);
		/*
		 * Busy polling (busy_poll_us): a sleeping daemon costs each
		 * request a wake-up.  Each turn yields, as whoever we wait for
		 * may need this CPU, and ends the poll if somebody did.
		 */
		if (poll_until != 0 && rsm_now_ns() < poll_until) {
			if (rsm_busypoll_turn(&bp))
				poll_until = 0;	/* the CPU is wanted: sleep */
			else
				wait_ms = 0;
		}
		n = epoll_wait(rs->epfd, ev, MAX_EVENTS, wait_ms);
		if (n > 0 && rs->conf.busy_poll_us > 0) {
			uint64_t now = rsm_now_ns();

			poll_until = rsm_busypoll_allowed(&bp, now) ?
			    now + rs->conf.busy_poll_us * 1000 : 0;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		if (rs->accept_paused)
			resume_accept(rs);
		for (i = 0; i < n; i++) {
			struct rsmd_io *io = ev[i].data.ptr;

			io->ready(rs, io, ev[i].events);
		}
		rsmd_timer_run(rs);
		control_reap(rs);
		dseg_reap(rs);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct rsmd rs;
	const char *opt_socket = NULL, *conf_file = RSMD_DEFAULT_CONFIG;
	int ch, foreground = 0, check_only = 0, verbose = 0, missing_ok = 1;
	int missing, sfd, svc_failed;
	struct reg_limits lim;
	sigset_t mask;

	while ((ch = getopt_long(argc, argv, "c:dfns:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_file = optarg;
			missing_ok = 0;
			break;
		case 'd':
			rs.debug = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 's':
			opt_socket = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rsmd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}

	rs.listen_fd = -1;
	rs.epfd = -1;
	rs.conf_file = conf_file;
	rs.conf_missing_ok = missing_ok;
	TAILQ_INIT(&rs.clients);
	TAILQ_INIT(&rs.closing);
	TAILQ_INIT(&rs.timers);
	rs.refusal_log = (struct rsm_ratelimit)RSMD_REFUSAL_LOG_INIT;
	/* rsmd -n checks a file, as a command: its errors carry no time. */
	log_init(1, foreground && !check_only,
	    rs.debug ? RSMD_LOG_DEBUG : RSMD_LOG_INFO);

	if (config_load(conf_file, &rs.conf, missing_ok, &missing) == -1)
		return 1;
	if ((rs.socket_path = strdup(effective_socket(opt_socket,
	    &rs.conf))) == NULL)
		fatal("strdup");
	if (check_only) {
		if (rs.conf.cluster_key_file != NULL &&
		    peer_key_check(rs.conf.cluster_key_file) == -1) {
			config_free(&rs.conf);
			free(rs.socket_path);
			return 1;
		}
		if (verbose) {
			struct rsmd_config shown = rs.conf;

			shown.socket = rs.socket_path;
			config_print(&shown, stdout);
		}
		config_free(&rs.conf);
		free(rs.socket_path);
		return 0;
	}
	log_setlevel(rs.debug ? RSMD_LOG_DEBUG : rs.conf.log_level);

	raise_fd_limit();
	limits_from_conf(&rs.conf, &lim);
	if (reg_init(&rs.reg, &lim) == -1)
		fatal("registry");
	if (getrandom(&rs.instance, sizeof(rs.instance), 0) !=
	    (ssize_t)sizeof(rs.instance))
		rs.instance = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	rs.start_ms = rsm_now_ms();

	/* Signals arrive through signalfd; block them before any fork. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1)
		fatal("sigprocmask");
	signal(SIGPIPE, SIG_IGN);

	/* Listen before detaching, so a refusal reaches the caller's exit code. */
	if (control_listen(&rs) == -1)
		return 1;
	if (services_open(&rs) == -1) {
		control_close(&rs);
		return 1;
	}
	if (remote_init() == -1 || admin_init() == -1 ||
	    monitor_init(&rs) == -1 ||
	    peer_init(&rs) == -1) {
		peer_shutdown(&rs);
		services_stop(&rs);
		control_close(&rs);
		return 1;
	}
	if (!foreground) {
		if (daemon(0, 0) == -1) {
			log_warn("daemon");
			control_close(&rs);
			return 1;
		}
		log_init(0, 0, rs.debug ? RSMD_LOG_DEBUG : rs.conf.log_level);
		if (rs.conf.pidfile != NULL)
			write_pidfile(rs.conf.pidfile);
	}

	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
	if ((rs.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	signal_io.fd = sfd;
	signal_io.ready = signals_ready;
	rs.listen_io.fd = rs.listen_fd;
	rs.listen_io.ready = listen_ready;
	if (rsmd_io_add(&rs, &signal_io, EPOLLIN) == -1 ||
	    rsmd_io_add(&rs, &rs.listen_io, EPOLLIN) == -1 ||
	    peer_start(&rs) == -1)
		fatal("epoll_ctl");
	/*
	 * Data services start serving only now: RDMA resources do not
	 * survive daemon()'s fork.
	 */
	if ((svc_failed = services_start(&rs) == -1)) {
		log_warnx("a data service cannot start, stopping");
		svcmgr_failed("a data service cannot start");
	}
	uffd_dev_open(&rs);
	/* Sockets, keys and RDMA devices are open: root is no longer needed. */
	if (!svc_failed && rs.conf.user != NULL &&
	    (svc_failed = privdrop(rs.conf.user, rs.socket_path) == -1)) {
		log_warnx("cannot run as %s, stopping", rs.conf.user);
		svcmgr_failed("cannot drop privileges");
	}
	log_info("node %u listening on %s (pid %d)", rs.conf.node_id,
	    rs.socket_path, (int)getpid());
	if (!svc_failed)
		svcmgr_ready(rs.conf.node_id, rs.socket_path);

	if (!svc_failed) {
		dseg_adopt(&rs);
		run(&rs);
	}

	/* Peers first: their pending calls may still answer local clients. */
	remote_stop(&rs);
	peer_shutdown(&rs);
	admin_shutdown();
	control_shutdown(&rs);
	dseg_shutdown(&rs);
	services_stop(&rs);
	monitor_fini(&rs);
	if (!foreground && rs.conf.pidfile != NULL)
		unlink(rs.conf.pidfile);
	reg_fini(&rs.reg);
	close(sfd);
	close(rs.epfd);
	config_free(&rs.conf);
	free(rs.socket_path);
	return svc_failed ? 1 : 0;
}
