# One image for the API, the worker and the one-shot migration (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

# The CPU build of torch: the default wheel on PyPI is a multi-GB CUDA build.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0

WORKDIR /app
COPY pyproject.toml README.md ./
COPY schema ./schema
COPY embeddings ./embeddings
COPY workers ./workers
COPY server ./server
RUN pip install . && useradd --create-home jobmatch && mkdir /data && chown jobmatch /data

USER jobmatch
# numba caches what it compiles for the lexical score on disk; compile it now, as the
# user that runs it, into a folder of the image that user owns (site-packages is not
# that user's to write, so numba would otherwise keep its cache where it chooses).
ENV NUMBA_CACHE_DIR=/home/jobmatch/numba-cache
RUN cd / && python -c "from embeddings.lexical import compile_kernels; compile_kernels()"
EXPOSE 8000
CMD ["jobmatch", "serve", "--host", "0.0.0.0", "--port", "8000"]
