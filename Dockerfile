# The worker and the API: one image, two commands (`lr worker`, `lr api`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY src src
RUN pip install --no-cache-dir -c constraints.txt .
USER nobody
ENTRYPOINT ["lr"]
