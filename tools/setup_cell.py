# Setup (the same first cell in every lab). On Colab: fetch the course and install it (with bitsandbytes, which
# Colab lacks). Anywhere else: nothing to do, `make lab` already installed everything.
import os, subprocess, sys
REPO_URL = "https://github.com/instruction-tuning-labs/instruction-tuning-labs"
if "google.colab" in sys.modules:
    if not os.path.isdir("/content/instruction-tuning-labs"):
        subprocess.run(["git", "clone", "--depth", "1", REPO_URL, "/content/instruction-tuning-labs"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "/content/instruction-tuning-labs"], check=True)
    os.chdir("/content/instruction-tuning-labs")
