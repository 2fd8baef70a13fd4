# man: one page per function family, a .so link page for every other
# function name (so that every one of the 42 names has a page, and each
# extension of include/rsm/), and the
# pages of the daemon, its configuration file and the admin tool.
# Pages in section 3rsm install into man3, as automake takes the section
# from the first character of the suffix.
dist_man_MANS += \
	man/librsm.3rsm \
	man/rsm_create_localmemory_handle.3rsm \
	man/rsm_free_interconnect_topology.3rsm \
	man/rsm_free_localmemory_handle.3rsm \
	man/rsm_get_controller.3rsm \
	man/rsm_get_controller_attr.3rsm \
	man/rsm_get_interconnect_topology.3rsm \
	man/rsm_get_segmentid_range.3rsm \
	man/rsm_intr_signal_post.3rsm \
	man/rsm_intr_signal_wait.3rsm \
	man/rsm_intr_signal_wait_pollfd.3rsm \
	man/rsm_memseg_export_create.3rsm \
	man/rsm_memseg_export_destroy.3rsm \
	man/rsm_memseg_export_publish.3rsm \
	man/rsm_memseg_export_rebind.3rsm \
	man/rsm_memseg_export_republish.3rsm \
	man/rsm_memseg_export_unpublish.3rsm \
	man/rsm_memseg_get_pollfd.3rsm \
	man/rsm_memseg_import_close_barrier.3rsm \
	man/rsm_memseg_import_connect.3rsm \
	man/rsm_memseg_import_destroy_barrier.3rsm \
	man/rsm_memseg_import_disconnect.3rsm \
	man/rsm_memseg_import_cas32.3rsm \
	man/rsm_memseg_import_cas64.3rsm \
	man/rsm_memseg_import_fetch_add32.3rsm \
	man/rsm_memseg_import_fetch_add64.3rsm \
	man/rsm_memseg_import_get.3rsm \
	man/rsm_memseg_import_get16.3rsm \
	man/rsm_memseg_import_get32.3rsm \
	man/rsm_memseg_import_get64.3rsm \
	man/rsm_memseg_import_get8.3rsm \
	man/rsm_memseg_import_get_mode.3rsm \
	man/rsm_memseg_import_getv.3rsm \
	man/rsm_memseg_import_init_barrier.3rsm \
	man/rsm_memseg_import_map.3rsm \
	man/rsm_memseg_import_open_barrier.3rsm \
	man/rsm_memseg_import_order_barrier.3rsm \
	man/rsm_memseg_import_put.3rsm \
	man/rsm_memseg_import_put16.3rsm \
	man/rsm_memseg_import_put32.3rsm \
	man/rsm_memseg_import_put64.3rsm \
	man/rsm_memseg_import_put8.3rsm \
	man/rsm_memseg_import_put_signal.3rsm \
	man/rsm_memseg_import_putv.3rsm \
	man/rsm_memseg_import_set_mode.3rsm \
	man/rsm_memseg_import_swap32.3rsm \
	man/rsm_memseg_import_swap64.3rsm \
	man/rsm_memseg_import_unmap.3rsm \
	man/rsm_memseg_release_pollfd.3rsm \
	man/rsm_release_controller.3rsm \
	man/rsmadm.8 \
	man/rsmapi.3rsm \
	man/rsmd.8 \
	man/rsmd.conf.5 \
	man/rsm_job.3rsm \
	man/rsm_job_init.3rsm \
	man/rsm_job_finalize.3rsm \
	man/rsm_job_rank.3rsm \
	man/rsm_job_size.3rsm \
	man/rsm_job_launcher.3rsm \
	man/rsm_job_node.3rsm \
	man/rsm_job_allgather.3rsm \
	man/rsm_job_barrier.3rsm \
	man/rsm_job_export.3rsm \
	man/rsm_job_message.3rsm
