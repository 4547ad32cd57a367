# Install and embed: `make install PREFIX=/usr/local DESTDIR=...` and
# `make uninstall` put the s2mt command, libs2mt.so.MAJOR (a soname, only
# the public s2mt_* API exported) and libs2mt.a, the headers, s2mt.pc, the
# manual pages and the bash completion in place. `make install-check`
# (part of check) installs into a temporary DESTDIR, builds a small
# embedder through pkg-config against the shared and the static library,
# runs both, and checks what the library exports.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install

S2MT_VERSION := $(shell sed -n 's/^\#define S2MT_VERSION "\(.*\)"/\1/p' include/s2mt/core.h)
S2MT_SOMAJOR := $(shell sed -n 's/^\#define S2MT_VERSION_MAJOR \([0-9]*\)/\1/p' include/s2mt/core.h)
SONAME := libs2mt.so.$(S2MT_SOMAJOR)
SHLIB := $(B)/lib/libs2mt.so.$(S2MT_VERSION)
LIB_MAP := $(B)/lib/libs2mt.map
PIC_OBJS := $(patsubst $(B)/obj/%,$(B)/pic/%,$(CORE_OBJS) $(MODEL_OBJS))
MANPAGES := man/s2mt.1 man/s2mt-scenario.5 man/libs2mt.3
DEPS_TEST += pkgconf groff-base man-db

.PHONY: shlib install uninstall install-check man-check

shlib: $(SHLIB)

$(B)/pic/core/%.o: src/core/%.c $(wildcard include/s2mt/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -fPIC -c $< -o $@

$(B)/pic/model/%.o: src/model/%.c $(wildcard include/s2mt/*.h src/model/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -fPIC -c $< -o $@

# The public API is what include/s2mt/*.h declares: every s2mt_* function
# and object named there, nothing else (the core's own helpers stay local).
$(LIB_MAP): $(wildcard include/s2mt/*.h) mk/install.mk
	@mkdir -p $(dir $@)
	@{ echo "S2MT_$(S2MT_SOMAJOR) {"; echo "global:"; \
	  cat include/s2mt/*.h | tr -s ' \t\n' ' ' | \
	  grep -o 's2mt_[a-z0-9_]*[ ]*[([]' | sed 's/[ ([]*$$//' | sort -u | \
	  sed 's/.*/	&;/'; echo "local: *;"; echo "};"; } >$@

$(SHLIB): $(PIC_OBJS) $(LIB_MAP)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=$(LIB_MAP) \
		$(LDFLAGS_BASE) -o $@ $(PIC_OBJS)
	ln -sf $(notdir $@) $(B)/lib/$(SONAME)
	ln -sf $(SONAME) $(B)/lib/libs2mt.so

$(B)/s2mt.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' \
		'includedir=$(INCLUDEDIR)' '' 'Name: s2mt' \
		'Description: KVM/arm64 stage-2 memory types: the attribute model, the stage-2 table, the policy and the KVM model' \
		'Version: $(S2MT_VERSION)' 'Libs: -L$${libdir} -ls2mt' \
		'Cflags: -I$${includedir}' >$@

install: $(S2MT) $(LIB) $(SHLIB) $(B)/s2mt.pc
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/s2mt $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(S2MT) $(DESTDIR)$(BINDIR)/s2mt
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libs2mt.a
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libs2mt.so
	$(INSTALL) -m 644 include/s2mt/*.h $(DESTDIR)$(INCLUDEDIR)/s2mt/
	$(INSTALL) -m 644 $(B)/s2mt.pc $(DESTDIR)$(PKGCONFIGDIR)/s2mt.pc
	$(INSTALL) -m 644 man/s2mt.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 man/libs2mt.3 $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 644 man/s2mt-scenario.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 completion/s2mt.bash $(DESTDIR)$(BASHCOMPDIR)/s2mt

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/s2mt $(DESTDIR)$(LIBDIR)/libs2mt.a \
		$(DESTDIR)$(LIBDIR)/libs2mt.so $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/libs2mt.so.$(S2MT_VERSION) \
		$(DESTDIR)$(PKGCONFIGDIR)/s2mt.pc \
		$(DESTDIR)$(MANDIR)/man1/s2mt.1 $(DESTDIR)$(MANDIR)/man3/libs2mt.3 \
		$(DESTDIR)$(MANDIR)/man5/s2mt-scenario.5 \
		$(DESTDIR)$(BASHCOMPDIR)/s2mt
	rm -f $(patsubst include/%,$(DESTDIR)$(INCLUDEDIR)/%,$(wildcard include/s2mt/*.h))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/s2mt 2>/dev/null

# groff's and man's own warnings, each page.
man-check:
	@for m in $(MANPAGES); do \
		out=$$(groff -man -ww -z $$m 2>&1; \
		       LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l $$m 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "man-check: $$m:"; echo "$$out"; exit 1; fi; \
	done; echo "man-check: $(MANPAGES) lint clean"

install-check: man-check
	scripts/install-check.sh $(B)

# The .pc file follows PREFIX and LIBDIR (and the version) of each make
# run. Phony, since the top Makefile's .SECONDARY: would otherwise let a
# missing FORCE count as up to date.
.PHONY: FORCE
FORCE:
