# systemd/: rsmd.service and rsmd@.service, made from their .in files with
# this build's paths; Type=notify when rsmd can say it is ready (libsystemd),
# else Type=exec.
if HAVE_SYSTEMD
RSMD_SERVICE_TYPE = notify
else
RSMD_SERVICE_TYPE = exec
endif
systemdsystemunit_DATA = systemd/rsmd.service systemd/rsmd@.service
EXTRA_DIST += systemd/rsmd.service.in systemd/rsmd@.service.in
CLEANFILES += $(systemdsystemunit_DATA)

systemd/rsmd.service systemd/rsmd@.service: Makefile
	$(AM_V_GEN)mkdir -p systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@RSMD_SERVICE_TYPE[@]|$(RSMD_SERVICE_TYPE)|g' \
	    $(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
systemd/rsmd.service: $(srcdir)/systemd/rsmd.service.in
systemd/rsmd@.service: $(srcdir)/systemd/rsmd@.service.in
