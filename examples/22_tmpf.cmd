@echo off
rem SPDX-License-Identifier: MIT
rem 22_tmpf.cmd - the tour's last stop on Windows, 22_tmpf.sh for cmd.exe:
rem the same guarantees for batch files, through tmpf.exe.  mktemp as
rem GNU's; sponge rewriting a file in place atomically; run giving a
rem command a private TMPDIR that is removed afterwards, its exit status
rem passed through.  Two steps of the shell tour have no counterpart
rem here: sponge given a failing input (cmd.exe itself refuses to
rem redirect a directory, so tmpf never runs), and tmpf reap after a
rem SIGKILL (21_lifecycle shows tf_reap() after TerminateProcess()).
rem
rem   cmd /c examples\22_tmpf.cmd TMPF.EXE     (make demo runs it)
setlocal
set "TMPF=%~1"
set "base=%TMPDIR%"
if not defined base set "base=%TEMP%"

echo === tmpf: the same guarantees for batch files ===
echo.
echo -- tmpf mktemp: GNU mktemp's options, names from the CSPRNG
set "f="
set "d="
for /f "delims=" %%p in ('call "%TMPF%" mktemp') do set "f=%%p"
for /f "delims=" %%p in ('call "%TMPF%" mktemp -d --suffix=.work') do set "d=%%p"
if not exist "%f%" (echo tour: FAILED: mktemp>&2& exit /b 1)
if not exist "%d%\" (echo tour: FAILED: mktemp -d>&2& exit /b 1)
echo file %f%, directory %d%
del "%f%"
rmdir "%d%"

echo.
echo -- tmpf sponge: filter a file in place (moreutils' sponge, made atomic)
rem From here on files are named relative to the temporary directory, so
rem no path with spaces needs quoting inside a quoted command.  The filter
rem is a for loop in a cmd of its own, whose output the pipe takes.
pushd "%base%"
set "list=names.txt"
echo carol> %list%
echo alice>> %list%
echo bob>> %list%
cmd /c for /f %%l in (%list%) do @if not %%l==bob echo %%l| "%TMPF%" sponge %list%
set "kept="
for /f "delims=" %%l in ('type %list%') do call set "kept=%%kept%% %%l"
if not "%kept%"==" carol alice" (echo tour: FAILED: sponge>&2& exit /b 1)
echo without bob:%kept%
del %list%

echo.
echo -- tmpf run: a private TMPDIR for one command, removed afterwards
rem %%TMPDIR%% reaches the command as %TMPDIR%: its own, expanded there;
rem the command line has no quotes inside, which tmpf would escape in a
rem way cmd does not read (cd needs none around a path with spaces).
rem Exit statuses are tested with "if errorlevel": Wine's cmd takes || and
rem && after a quoted command the wrong way.  No labels either: cmd finds
rem them unreliably in a file with LF line ends, as this tree keeps it.
"%TMPF%" run cmd /c "echo TMPDIR=%%TMPDIR%%& echo %%TMPDIR%%>run-dir& cd /d %%TMPDIR%%& mkdir deep"
if errorlevel 1 (echo tour: FAILED: run>&2& exit /b 1)
set /p ran=< run-dir
del run-dir
if exist "%ran%\" (echo tour: FAILED: %ran% left behind>&2& exit /b 1)
echo afterwards %ran% is gone
"%TMPF%" run cmd /c exit 3
set "status=%errorlevel%"
if not "%status%"=="3" (echo tour: FAILED: run exit status %status%>&2& exit /b 1)
echo the command's exit status is passed through: %status%
popd
exit /b 0
